//! The one font every picture is measured and drawn with: DejaVu Sans, embedded in the
//! binary (from the `dejavu` crate), so no system font is looked up.

use std::sync::OnceLock;

use ab_glyph::FontRef;
use plotters::style::FontStyle;

use super::error::PlotError;

/// The family name the font is registered under (SVG files name it too, so viewers
/// fall back to their own sans-serif font).
pub const FAMILY: &str = "sans-serif";

/// Registers DejaVu Sans with plotters under [`FAMILY`] (once per process).
pub fn register() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, dejavu::sans::regular()).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(PlotError::Font)
    }
}

/// The font's glyphs, for drawing text into bitmaps ourselves.
pub fn face() -> Result<FontRef<'static>, PlotError> {
    FontRef::try_from_slice(dejavu::sans::regular()).map_err(|_| PlotError::Font)
}
