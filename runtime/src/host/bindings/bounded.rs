//! What an activity call returns, lifted out of the guest with its size checked **before** anything
//! is copied into the host.
//!
//! A string result is a pointer and a length into the guest's memory. Bindings made by `bindgen!`
//! copy the whole string into a host `String` first, so a plugin could make the host allocate as much
//! as its own memory cap (256 MiB) per call before any output cap was checked, and the memory
//! budget shared by calls at once never saw that copy. These types read the length first:
//! [`Capped`] refuses an output longer than its cap without copying a byte of it, and [`Clipped`]
//! copies at most its cap of an error text and counts the rest, as [`crate::escape::clip`] says it.
//!
//! They implement wasmtime's `ComponentType` and `Lift` by delegating to `String`'s own
//! implementations after the check, which is why this module may use `unsafe`: the traits are
//! `unsafe` because the `Lower` layout and ABI must be right, and both are `String`'s exactly.
//! Post-return still runs only after the lift, as wasmtime orders it, so the guest's string is valid
//! while it is read.
#![allow(unsafe_code)]

use wasmtime::ValRaw;
use wasmtime::component::__internal::{CanonicalAbiInfo, InstanceType, InterfaceType, LiftContext};
use wasmtime::component::{ComponentType, Lift};

/// The canonical ABI marks a compact-UTF-16 string's length with this bit (the rest counts code
/// units); in UTF-8 no string in a 32-bit memory is that long.
const UTF16_TAG: u32 = 1 << 31;

/// The largest output an activity may return, in bytes (code units for a UTF-16 guest, whose text is
/// then checked again in bytes after it is transcoded).
pub const OUTPUT_BYTES: usize = 16 << 20;

/// The longest error text (`failed`, `denied`, …) a plugin may carry into the journal and the log;
/// more is cut where it is lifted.
pub const ERROR_TEXT_BYTES: usize = 64 << 10;

/// An output over the cap, refused before it was copied.
#[derive(Debug, thiserror::Error)]
#[error(
    "{bytes} bytes, over the cap of {cap}; refused before chaosrt copied any of it",
    cap = OUTPUT_BYTES
)]
pub struct TooLarge {
    pub bytes: u64,
}

/// A string of at most [`OUTPUT_BYTES`]; a longer one fails the lift with [`TooLarge`].
pub struct Capped(pub String);

/// At most `CAP` bytes of a string, and how many more the guest returned.
pub struct Clipped<const CAP: usize> {
    pub text: String,
    pub cut: u64,
}

impl<const CAP: usize> Clipped<CAP> {
    /// The text with a note of what was cut, in the words of [`crate::escape::clip`].
    pub fn into_text(self) -> String {
        crate::escape::with_cut(self.text, self.cut)
    }
}

/// The length half of a string's (pointer, length) pair, split into the tag and the count.
fn length(raw: u32) -> (u32, u32) {
    (raw & UTF16_TAG, raw & !UTF16_TAG)
}

/// The flat (pointer, length) pair with another length, keeping the encoding tag.
fn with_length(src: &[ValRaw; 2], tag: u32, count: u32) -> [ValRaw; 2] {
    [src[0], ValRaw::u32(tag | count)]
}

/// The same pair as it sits in memory, with another length.
fn with_length_in_memory(bytes: &[u8], tag: u32, count: u32) -> [u8; 8] {
    let mut pair = [0; 8];
    pair[..4].copy_from_slice(&bytes[..4]);
    pair[4..].copy_from_slice(&(tag | count).to_le_bytes());
    pair
}

fn length_in_memory(bytes: &[u8]) -> u32 {
    u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]])
}

fn check(count: u32) -> wasmtime::Result<()> {
    if count as usize > OUTPUT_BYTES {
        return Err(TooLarge {
            bytes: u64::from(count),
        }
        .into());
    }
    Ok(())
}

/// Lifts a prefix of at most `cap` units: `lift(tag, n)` lifts the first `n`. A cut that splits a
/// character fails to decode, so up to three units fewer are tried (UTF-8's longest tail; one for a
/// split surrogate pair).
fn clipped<const CAP: usize>(
    tag: u32,
    count: u32,
    mut lift: impl FnMut(u32, u32) -> wasmtime::Result<String>,
) -> wasmtime::Result<Clipped<CAP>> {
    let cap = u32::try_from(CAP).unwrap_or(u32::MAX);
    if count <= cap {
        return Ok(Clipped {
            text: lift(tag, count)?,
            cut: 0,
        });
    }
    let mut last = None;
    for taken in (cap.saturating_sub(3)..=cap).rev() {
        match lift(tag, taken) {
            Ok(text) => {
                return Ok(Clipped {
                    text,
                    cut: u64::from(count - taken),
                });
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.expect("at least one length was tried"))
}

// SAFETY: the same lowered representation and ABI as `String`, whose typecheck is used.
unsafe impl ComponentType for Capped {
    type Lower = <String as ComponentType>::Lower;
    const ABI: CanonicalAbiInfo = <String as ComponentType>::ABI;

    fn typecheck(ty: &InterfaceType, types: &InstanceType<'_>) -> wasmtime::Result<()> {
        <String as ComponentType>::typecheck(ty, types)
    }
}

// SAFETY: as for `Capped`.
unsafe impl<const CAP: usize> ComponentType for Clipped<CAP> {
    type Lower = <String as ComponentType>::Lower;
    const ABI: CanonicalAbiInfo = <String as ComponentType>::ABI;

    fn typecheck(ty: &InterfaceType, types: &InstanceType<'_>) -> wasmtime::Result<()> {
        <String as ComponentType>::typecheck(ty, types)
    }
}

// SAFETY: checks the length, then lifts exactly as `String` does from the same representation.
unsafe impl Lift for Capped {
    fn linear_lift_from_flat(
        cx: &mut LiftContext<'_>,
        ty: InterfaceType,
        src: &Self::Lower,
    ) -> wasmtime::Result<Self> {
        check(length(src[1].get_u32()).1)?;
        String::linear_lift_from_flat(cx, ty, src).map(Capped)
    }

    fn linear_lift_from_memory(
        cx: &mut LiftContext<'_>,
        ty: InterfaceType,
        bytes: &[u8],
    ) -> wasmtime::Result<Self> {
        check(length(length_in_memory(bytes)).1)?;
        String::linear_lift_from_memory(cx, ty, bytes).map(Capped)
    }
}

// SAFETY: lifts as `String` does, from the same representation with a length no longer than the
// guest's own, so every byte read is one the guest's string covers.
unsafe impl<const CAP: usize> Lift for Clipped<CAP> {
    fn linear_lift_from_flat(
        cx: &mut LiftContext<'_>,
        ty: InterfaceType,
        src: &Self::Lower,
    ) -> wasmtime::Result<Self> {
        let (tag, count) = length(src[1].get_u32());
        clipped(tag, count, |tag, n| {
            String::linear_lift_from_flat(cx, ty, &with_length(src, tag, n))
        })
    }

    fn linear_lift_from_memory(
        cx: &mut LiftContext<'_>,
        ty: InterfaceType,
        bytes: &[u8],
    ) -> wasmtime::Result<Self> {
        let (tag, count) = length(length_in_memory(bytes));
        clipped(tag, count, |tag, n| {
            String::linear_lift_from_memory(cx, ty, &with_length_in_memory(bytes, tag, n))
        })
    }
}

/// The contract's `error` variant (the same cases in every version so far), each text clipped as
/// it is lifted.
#[derive(wasmtime::component::ComponentType, wasmtime::component::Lift)]
#[component(variant)]
pub enum Failure {
    #[component(name = "unknown-activity")]
    UnknownActivity(Clipped<ERROR_TEXT_BYTES>),
    #[component(name = "invalid-arguments")]
    InvalidArguments(Clipped<ERROR_TEXT_BYTES>),
    #[component(name = "denied")]
    Denied(Clipped<ERROR_TEXT_BYTES>),
    #[component(name = "failed")]
    Failed(Clipped<ERROR_TEXT_BYTES>),
}

impl From<Failure> for crate::host::error::PluginError {
    fn from(failure: Failure) -> Self {
        use crate::host::error::PluginError;
        match failure {
            Failure::UnknownActivity(t) => PluginError::UnknownActivity(t.into_text()),
            Failure::InvalidArguments(t) => PluginError::InvalidArguments(t.into_text()),
            Failure::Denied(t) => PluginError::Denied(t.into_text()),
            Failure::Failed(t) => PluginError::Failed(t.into_text()),
        }
    }
}

/// What `invoke` returns, as the host lifts it.
pub type Returned = (Result<Capped, Failure>,);

#[cfg(test)]
mod tests {
    use super::*;

    /// Lifts the first `n` bytes of `memory` as a UTF-8 guest's string would be.
    fn from(memory: &str) -> impl FnMut(u32, u32) -> wasmtime::Result<String> + '_ {
        |_, n| Ok(std::str::from_utf8(&memory.as_bytes()[..n as usize])?.to_string())
    }

    #[test]
    fn a_text_within_the_cap_is_lifted_whole_and_a_longer_one_is_cut_at_a_character() {
        let short = clipped::<8>(0, 5, from("hello")).unwrap();
        assert_eq!((short.text.as_str(), short.cut), ("hello", 0));
        assert_eq!(short.into_text(), "hello");

        let long = clipped::<4>(0, 10, from("abcdefghij")).unwrap();
        assert_eq!((long.text.as_str(), long.cut), ("abcd", 6));
        assert_eq!(long.into_text(), "abcd… (6 more bytes cut)");

        // "日" is three bytes: a cut after four bytes would split the second one.
        let wide = "日日日日";
        let cut = clipped::<4>(0, wide.len() as u32, from(wide)).unwrap();
        assert_eq!((cut.text.as_str(), cut.cut), ("日", 9));
    }

    #[test]
    fn only_the_units_up_to_the_cap_are_ever_asked_for() {
        let mut asked = Vec::new();
        let _ = clipped::<16>(UTF16_TAG, 1 << 30, |tag, n| {
            asked.push((tag, n));
            Ok(String::new())
        });
        assert_eq!(asked, [(UTF16_TAG, 16)], "the tag is kept, the length cut");
    }

    #[test]
    fn an_output_over_the_cap_is_refused_by_its_length_alone() {
        assert!(check(OUTPUT_BYTES as u32).is_ok());
        let refused = check(OUTPUT_BYTES as u32 + 1).unwrap_err();
        let too_large = refused.downcast_ref::<TooLarge>().unwrap();
        assert_eq!(too_large.bytes, OUTPUT_BYTES as u64 + 1);
        assert_eq!(
            length(UTF16_TAG | 7),
            (UTF16_TAG, 7),
            "a compact UTF-16 length counts without its tag"
        );
    }
}
