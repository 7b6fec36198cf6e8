//! What the machine offers this process.

/// Assumed available memory where the system does not say (8 GiB).
const FALLBACK_AVAILABLE: u64 = 8 << 30;

/// Memory the system can give this process now: Linux's `MemAvailable`,
/// lowered by a cgroup (v2) memory limit, by an address-space limit
/// (`ulimit -v`) and by `$CURVSCOPE_MEMORY` (bytes, or a number with K, M
/// or G) where they are set.
pub fn available_bytes() -> u64 {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let meminfo = read("/proc/meminfo").and_then(|text| {
        text.lines()
            .find_map(|l| l.strip_prefix("MemAvailable:"))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map(|kib| kib * 1024)
    });
    let cgroup = read("/sys/fs/cgroup/memory.max")
        .and_then(|max| max.trim().parse::<u64>().ok())
        .map(|max| {
            let used = read("/sys/fs/cgroup/memory.current")
                .and_then(|c| c.trim().parse::<u64>().ok())
                .unwrap_or(0);
            max.saturating_sub(used)
        });
    let address_space = read("/proc/self/limits").and_then(|text| {
        text.lines()
            .find(|l| l.starts_with("Max address space"))
            .and_then(|l| l.split_whitespace().nth(3))
            .and_then(|soft| soft.parse::<u64>().ok())
    });
    let asked = std::env::var("CURVSCOPE_MEMORY")
        .ok()
        .and_then(|v| parse_size(&v));
    [meminfo, cgroup, address_space, asked]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(FALLBACK_AVAILABLE)
}

/// `123`, `64K`, `512M` or `2G` as bytes.
fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&text[..i], c.to_ascii_uppercase()),
        _ => (text, 'B'),
    };
    let shift = match unit {
        'B' => 0,
        'K' => 10,
        'M' => 20,
        'G' => 30,
        _ => return None,
    };
    digits.trim().parse::<u64>().ok()?.checked_mul(1 << shift)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_take_a_unit() {
        assert_eq!(super::parse_size("512M"), Some(512 << 20));
        assert_eq!(super::parse_size("2g"), Some(2 << 30));
        assert_eq!(super::parse_size("1000"), Some(1000));
        assert_eq!(super::parse_size("lots"), None);
    }

    #[test]
    fn available_memory_is_read() {
        assert!(super::available_bytes() > 0);
    }
}
