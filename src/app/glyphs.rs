//! The glyphs egui draws, put into its font atlas before any text needs
//! them ([`prewarm`]), first in egui's pass ([`DrawSet::Glyphs`]): the
//! panel, the windows and the overlay all write with them.

use super::state::{DrawSet, ensure_state};
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};

/// Warms egui's font atlas in the first two frames.
pub struct GlyphsPlugin;

impl Plugin for GlyphsPlugin {
    fn build(&self, app: &mut App) {
        ensure_state(app);
        app.add_systems(
            EguiPrimaryContextPass,
            prewarm_glyphs.in_set(DrawSet::Glyphs),
        );
    }
}

/// The symbols the panel and overlay write besides ASCII, and the
/// ligatures the font forms ("fl" in "flat" is one glyph).
pub const GLYPHS: &str = "λημβσρθΣΔ≈·×→←…—–−±²³√∞⁰¹⁴⁵⁶⁷⁸⁹⁻≤≥°½‖ fi fl ff ffi ffl";

fn prewarm_glyphs(mut contexts: EguiContexts, mut frames: Local<u8>) -> Result {
    // The first frame sets the text options, the second lays out with them.
    if *frames < 2 {
        prewarm(contexts.ctx_mut()?);
        *frames += 1;
    }
    Ok(())
}

/// Puts every glyph the app writes into egui's font atlas at every text
/// size it uses, before they are needed: egui adds a glyph when it first
/// lays it out, and the atlas reached the screen a frame after the text,
/// so new text showed with letters missing for a frame ("cur ature",
/// issue 9). Glyphs get one bitmap each (egui's subpixel binning would
/// rasterize up to four per glyph, by where in a pixel it starts, which
/// no layout ahead of time covers). Call it in two frames: text options
/// take effect at the next one.
pub fn prewarm(ctx: &egui::Context) {
    if ctx.global_style().visuals.text_options.subpixel_binning {
        ctx.all_styles_mut(|s| s.visuals.text_options.subpixel_binning = false);
    }
    let text: String = (' '..='~').chain(GLYPHS.chars()).collect();
    ctx.fonts_mut(|fonts| {
        for size in [9.0, 10.0, 11.0, 12.0, 12.5, 13.0, 14.0, 16.0, 18.0, 20.0] {
            for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
                let _ = fonts.layout_no_wrap(
                    text.clone(),
                    egui::FontId::new(size, family),
                    egui::Color32::WHITE,
                );
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 9: new text showed with letters missing for a frame; after the
    /// first frames, new readouts need no new glyphs in the atlas.
    #[test]
    fn after_the_first_frames_new_text_needs_no_new_glyphs() {
        let ctx = egui::Context::default();
        for _ in 0..2 {
            let first = ctx.run_ui(egui::RawInput::default(), |ui| {
                prewarm(ui.ctx());
                ui.heading("curvscope");
            });
            assert!(!first.textures_delta.set.is_empty(), "the atlas is sent");
        }
        let later = ctx.run_ui(egui::RawInput::default(), |ui| {
            ui.heading("Sharp vs flat minima");
            ui.strong("batch 8 · full batch");
            ui.label("curvature + surface 94 ms · train samples 256");
            ui.small("λmin -3.30e-3 (saddle) · η·λmax 1.004 / 3.80 ≈ 2(1+β)/η −0.5 × 10⁻⁴");
            ui.monospace("{\"step\": 1814}");
            ui.label(egui::RichText::new("step 4242 diverged").size(16.0));
        });
        let new: Vec<_> = later
            .textures_delta
            .set
            .values()
            .flat_map(|d| d.iter().map(|d| (d.pos, d.image.size())))
            .collect();
        assert!(new.is_empty(), "new glyphs after the first frames: {new:?}");
    }
}
