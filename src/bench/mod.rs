//! The mmap-vs-buffered measurements behind `mmstore bench`, as a library returning numbers.
