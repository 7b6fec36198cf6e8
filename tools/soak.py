#!/usr/bin/env python3
"""Soak test: drives the real curvscope app in a window under Xvfb with
random input for a while, and fails if the app dies, stops drawing frames,
or its memory grows past a bound.

Input (seeded, so a failure can be replayed): clicks and slider drags in
the side panel (which open sections, pick lessons, planes and data sets,
rebuild, export, record), the mouse wheel over the panel and over the 3D
view, orbit drags, and the keys space, S, R, C, B and P.

The app writes one line of frame statistics a second (CURVSCOPE_STATS); the
harness reads the process's resident memory from /proc. It prints a JSON
summary: memory at start (after the first frame), at most and at the end,
frames drawn, the slowest stretch without a new frame, actions taken.

Usage: tools/soak.py [--seconds 60] [--binary PATH] [--max-rss-mb 1500]
                     [--stall-seconds 30] [--seed 1] [--size 1280x800]
Needs Xvfb and xdotool (.ci/run installs both). Exit status 0 on success.
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

PANEL_WIDTH = 340  # the side panel's default width, in pixels


def rss_mb(pid):
    """Resident memory of `pid` in MiB (None once it has exited)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def last_stats(path):
    """The last complete line of the statistics file, as a dict."""
    try:
        with open(path) as f:
            lines = [l for l in f.read().splitlines() if l.endswith("}")]
    except OSError:
        return None
    return json.loads(lines[-1]) if lines else None


def start_xvfb(size):
    """Starts Xvfb on a free display; returns (process, display)."""
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    number = b""
    while not number.endswith(b"\n"):
        chunk = os.read(read, 16)
        if not chunk:
            raise SystemExit("soak: Xvfb did not start")
        number += chunk
    os.close(read)
    return xvfb, ":" + number.decode().strip()


class Driver:
    """Random input through xdotool."""

    def __init__(self, display, width, height, rng):
        self.env = dict(os.environ, DISPLAY=display)
        self.width, self.height, self.rng = width, height, rng
        self.counts = {}

    def xdo(self, *args):
        subprocess.run(["xdotool", *map(str, args)], env=self.env, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)

    def panel_point(self):
        return self.rng.randrange(4, PANEL_WIDTH - 4), self.rng.randrange(4, self.height - 4)

    def view_point(self):
        return self.rng.randrange(PANEL_WIDTH + 10, self.width - 4), self.rng.randrange(4, self.height - 4)

    def act(self):
        kinds = [
            ("click panel", 30), ("drag slider", 25), ("wheel panel", 10), ("wheel view", 8),
            ("orbit", 8), ("click view", 4), ("key", 10), ("menu", 5),
        ]
        kind = self.rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
        self.counts[kind] = self.counts.get(kind, 0) + 1
        r = self.rng
        if kind == "click panel":
            self.xdo("mousemove", *self.panel_point(), "click", 1)
        elif kind == "drag slider":
            x, y = self.panel_point()
            self.xdo("mousemove", x, y, "mousedown", 1)
            self.xdo("mousemove", max(1, min(PANEL_WIDTH, x + r.randrange(-120, 120))), y)
            self.xdo("mouseup", 1)
        elif kind in ("wheel panel", "wheel view"):
            x, y = self.panel_point() if kind == "wheel panel" else self.view_point()
            self.xdo("mousemove", x, y, "click", "--repeat", r.randrange(1, 6), r.choice([4, 5]))
        elif kind == "orbit":
            x, y = self.view_point()
            button = r.choice([1, 1, 3])
            self.xdo("mousemove", x, y, "mousedown", button)
            self.xdo("mousemove", max(PANEL_WIDTH + 5, min(self.width - 2, x + r.randrange(-200, 200))),
                     max(2, min(self.height - 2, y + r.randrange(-150, 150))))
            self.xdo("mouseup", button)
        elif kind == "click view":
            self.xdo("mousemove", *self.view_point(), "click", 1)
        elif kind == "key":
            self.xdo("mousemove", *self.view_point())
            self.xdo("key", r.choice(["space", "s", "r", "c", "b", "p", "s", "s"]))
        elif kind == "menu":
            # The lesson menu at the top of the panel, then an item under it.
            self.xdo("mousemove", 70, 35, "click", 1)
            time.sleep(0.3)
            self.xdo("mousemove", r.randrange(20, 200), r.randrange(50, 160), "click", 1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=60.0, help="how long to drive the app")
    p.add_argument("--binary", default="target/release/curvscope")
    p.add_argument("--max-rss-mb", type=float, default=1500.0, help="fail above this resident memory")
    p.add_argument("--stall-seconds", type=float, default=30.0,
                   help="fail when no frame is drawn for this long")
    p.add_argument("--startup-seconds", type=float, default=600.0,
                   help="how long the first frame may take (a cold pipeline cache under lavapipe is slow)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--size", default="1280x800")
    p.add_argument("--pause", type=float, default=0.15, help="seconds between actions")
    args = p.parse_args()
    for tool in ("Xvfb", "xdotool"):
        if shutil.which(tool) is None:
            raise SystemExit(f"soak: {tool} is not installed (.ci/run installs it)")
    binary = os.path.abspath(args.binary)
    width, height = map(int, args.size.split("x"))
    work = tempfile.mkdtemp(prefix="curvscope-soak-")
    stats = os.path.join(work, "stats.jsonl")
    xvfb, display = start_xvfb(args.size)
    env = dict(os.environ, DISPLAY=display, CURVSCOPE_STATS=stats)
    env.pop("WAYLAND_DISPLAY", None)
    log = open(os.path.join(work, "app.log"), "w")
    app = subprocess.Popen([binary, "--size", args.size], cwd=work, env=env,
                           stdout=log, stderr=subprocess.STDOUT)
    summary = {"seed": args.seed, "seconds": args.seconds, "folder": work}
    failure = None
    try:
        start = time.monotonic()
        while (last_stats(stats) or {}).get("frames", 0) < 1:
            if app.poll() is not None:
                raise RuntimeError(f"the app exited before its first frame (status {app.returncode})")
            if time.monotonic() - start > args.startup_seconds:
                raise RuntimeError(f"no frame within {args.startup_seconds:.0f} s of starting")
            time.sleep(0.5)
        driver = Driver(display, width, height, random.Random(args.seed))
        rss_start = rss_mb(app.pid)
        rss_max = rss_start
        frames_start = last_stats(stats)["frames"]
        last_frames, last_new = frames_start, time.monotonic()
        worst_stall = 0.0
        begin = time.monotonic()
        actions = 0
        while time.monotonic() - begin < args.seconds:
            driver.act()
            actions += 1
            time.sleep(args.pause)
            if app.poll() is not None:
                raise RuntimeError(f"the app exited (status {app.returncode}) after {actions} actions")
            rss = rss_mb(app.pid)
            if rss is not None:
                rss_max = max(rss_max, rss)
                if rss > args.max_rss_mb:
                    raise RuntimeError(f"resident memory {rss:.0f} MiB > {args.max_rss_mb:.0f} MiB")
            now = time.monotonic()
            frames = (last_stats(stats) or {}).get("frames", 0)
            if frames > last_frames:
                last_frames, last_new = frames, now
            worst_stall = max(worst_stall, now - last_new)
            if now - last_new > args.stall_seconds:
                raise RuntimeError(f"no new frame for {now - last_new:.0f} s (frame {frames})")
        summary.update(
            actions=actions,
            counts=driver.counts,
            rss_mb={"start": round(rss_start, 1), "max": round(rss_max, 1), "end": round(rss_mb(app.pid) or 0, 1)},
            frames=last_frames - frames_start,
            fps=round((last_frames - frames_start) / (time.monotonic() - begin), 2),
            worst_stall_seconds=round(worst_stall, 2),
        )
    except RuntimeError as e:
        failure = str(e)
    finally:
        app.terminate()
        try:
            app.wait(timeout=20)
        except subprocess.TimeoutExpired:
            app.kill()
        xvfb.terminate()
        xvfb.wait()
    if failure:
        summary["failure"] = failure
        print(json.dumps(summary))
        print(f"soak: failed: {failure} (seed {args.seed}; app log in {work}/app.log)", file=sys.stderr)
        return 1
    print(json.dumps(summary))
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
