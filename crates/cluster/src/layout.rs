//! Arkime cluster layout: written by the layout work.
