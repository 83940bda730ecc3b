//! Finding a byte pattern in a stream that arrives in chunks of any size, with the same
//! answer as searching the whole file at once: matches that straddle two chunks are found
//! by searching the joint (the last `pattern.len() - 1` bytes of what came before plus the
//! first bytes of the new chunk). Every occurrence is reported, overlapping ones included,
//! because "non-overlapping" depends on where a search starts and so on the chunking.

use memchr::memmem::Finder;

pub(crate) struct StreamSearcher<'p> {
    finder: Finder<'p>,
    /// The last bytes seen, at most `pattern.len() - 1` of them.
    carry: Vec<u8>,
    /// Scratch space for `carry` plus the head of the next chunk.
    joint: Vec<u8>,
    /// File offset of the next chunk's first byte.
    position: u64,
}

impl<'p> StreamSearcher<'p> {
    /// `pattern` must not be empty.
    pub(crate) fn new(pattern: &'p [u8]) -> Self {
        assert!(!pattern.is_empty(), "the search pattern must not be empty");
        StreamSearcher {
            finder: Finder::new(pattern),
            carry: Vec::with_capacity(pattern.len()),
            joint: Vec::with_capacity(2 * pattern.len()),
            position: 0,
        }
    }

    /// Searches the next `chunk` of the stream, pushing the file offset of every match that
    /// ends in it onto `matches` (in increasing order).
    pub(crate) fn feed(&mut self, chunk: &[u8], matches: &mut Vec<u64>) {
        let keep = self.finder.needle().len() - 1;
        if !self.carry.is_empty() && !chunk.is_empty() {
            self.joint.clear();
            self.joint.extend_from_slice(&self.carry);
            self.joint
                .extend_from_slice(&chunk[..chunk.len().min(keep)]);
            let joint_start = self.position - self.carry.len() as u64;
            // Only matches that start in the carry: the others lie wholly in `chunk`.
            let mut from = 0;
            while let Some(found) = self.finder.find(&self.joint[from..]) {
                let start = from + found;
                if start >= self.carry.len() {
                    break;
                }
                matches.push(joint_start + start as u64);
                from = start + 1;
            }
        }
        let mut from = 0;
        while let Some(found) = self.finder.find(&chunk[from..]) {
            let start = from + found;
            matches.push(self.position + start as u64);
            from = start + 1;
        }
        if chunk.len() >= keep {
            self.carry.clear();
            self.carry.extend_from_slice(&chunk[chunk.len() - keep..]);
        } else {
            let excess = (self.carry.len() + chunk.len()).saturating_sub(keep);
            self.carry.drain(..excess);
            self.carry.extend_from_slice(chunk);
        }
        self.position += chunk.len() as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search_in_chunks(haystack: &[u8], pattern: &[u8], chunk: usize) -> Vec<u64> {
        let mut searcher = StreamSearcher::new(pattern);
        let mut matches = Vec::new();
        for piece in haystack.chunks(chunk) {
            searcher.feed(piece, &mut matches);
        }
        matches
    }

    fn search_whole(haystack: &[u8], pattern: &[u8]) -> Vec<u64> {
        (0..haystack.len().saturating_sub(pattern.len() - 1))
            .filter(|&start| haystack[start..].starts_with(pattern))
            .map(|start| start as u64)
            .collect()
    }

    #[test]
    fn every_chunk_size_finds_the_same_matches_as_one_search() {
        let mut haystack = b"xxNEEDLExxxNEEDxNEEDLENEEDLEyyNEEDL".to_vec();
        haystack.extend_from_slice(b"ENEEDLE");
        let expected = search_whole(&haystack, b"NEEDLE");
        assert_eq!(expected, vec![2, 16, 22, 30, 36]);
        for chunk in 1..=haystack.len() {
            assert_eq!(
                search_in_chunks(&haystack, b"NEEDLE", chunk),
                expected,
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn overlapping_matches_are_all_reported() {
        let haystack = b"aaaaabaaa";
        let expected = search_whole(haystack, b"aaa");
        assert_eq!(expected, vec![0, 1, 2, 6]);
        for chunk in 1..=haystack.len() {
            assert_eq!(
                search_in_chunks(haystack, b"aaa", chunk),
                expected,
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn a_one_byte_pattern_needs_no_carry() {
        assert_eq!(search_in_chunks(b"abcabc", b"c", 2), vec![2, 5]);
    }
}
