//! The memory allocator's one setting: whether mimalloc (the global allocator of the
//! binary and the benches) gives memory it freed back to the system.
//!
//! By default mimalloc gives freed memory back about 1 s later (`purge_delay`), by
//! `MADV_DONTNEED`; the next allocation of it is a page fault and a page zeroed by the
//! kernel. A full build of the analytics' frames frees and allocates gigabytes over
//! several seconds (the rows read, then the frames and the work rows made from them):
//! at 1,000,000 projects half of its build time was the kernel zeroing pages given back
//! moments before (`perf`: `clear_page_erms`; 3.5 s of `Frames::build` became 1.6 s,
//! BENCHMARKS.md). A 10 s delay, or giving memory back by `MADV_FREE`, kept part of it.
//! So the server keeps what it freed ([`PURGE_DELAY_MS`] = -1): its resident memory
//! stays at its peak — the peak of a full build, which every import needs again, so the
//! host must have it anyway — and the next build reuses it. An operator who prefers
//! memory given back sets `MIMALLOC_PURGE_DELAY` (milliseconds), which is then left as
//! it is.
// The crate forbids unsafe code but here: two calls into mimalloc's C API, which the
// `mimalloc` crate does not wrap.
#![allow(unsafe_code)]

use std::ffi::{c_int, c_long};

// Linked for its C library, whose options these are.
use mimalloc as _;

unsafe extern "C" {
    fn mi_option_set(option: c_int, value: c_long);
    fn mi_option_get(option: c_int) -> c_long;
}

/// `mi_option_purge_delay` in `mimalloc.h` (the same place in mimalloc 2 and 3).
const PURGE_DELAY: c_int = 15;

/// How long freed memory is kept before it is given back, in milliseconds: -1, never.
pub const PURGE_DELAY_MS: c_long = -1;

/// The variable by which an operator sets mimalloc's purge delay instead.
pub const PURGE_DELAY_ENV: &str = "MIMALLOC_PURGE_DELAY";

/// Sets [`PURGE_DELAY_MS`] unless [`PURGE_DELAY_ENV`] is set; call it first in `main`.
pub fn configure() {
    if std::env::var_os(PURGE_DELAY_ENV).is_some() {
        return;
    }
    // SAFETY: `mi_option_set` takes an option number and a value and only stores the
    // value; `PURGE_DELAY` is an option of the mimalloc that `libmimalloc-sys` links.
    unsafe { mi_option_set(PURGE_DELAY, PURGE_DELAY_MS) }
}

/// mimalloc's purge delay now, in milliseconds.
pub fn purge_delay_ms() -> c_long {
    // SAFETY: reads an option's value; no pointer is passed.
    unsafe { mi_option_get(PURGE_DELAY) }
}

#[cfg(test)]
mod tests {
    /// The option number is mimalloc's purge delay: its documented default (1,000 ms in
    /// mimalloc 3) before, the value set after.
    #[test]
    fn the_purge_delay_is_the_option_set() {
        if std::env::var_os(super::PURGE_DELAY_ENV).is_some() {
            return; // the operator's value stands; nothing of ours to check
        }
        assert_eq!(super::purge_delay_ms(), 1_000);
        super::configure();
        assert_eq!(super::purge_delay_ms(), super::PURGE_DELAY_MS);
    }
}
