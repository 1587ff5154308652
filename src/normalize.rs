//! Normalisation of raw values into canonical forms (SPEC §4). (Being written: see issue #2.)
