//! Parsed email. (Being written: see issue #2.)
