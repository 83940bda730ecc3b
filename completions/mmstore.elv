
use builtin;
use str;

set edit:completion:arg-completer[mmstore] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'mmstore'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'mmstore'= {
            cand -q 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --quiet 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --no-sync 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
            cand --wait 'Wait for another writer to release the store instead of failing with exit code 5'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand create 'Make a new, empty store'
            cand append 'Append one record, or many from JSON Lines'
            cand import-csv 'Import CSV rows as JSON object records'
            cand import-json 'Restore records from export-json output (JSON Lines or --array)'
            cand get 'Print the value of one key (raw bytes), or envelopes for several'
            cand ls 'List keys in append order'
            cand locate 'Print the body file, byte offset and length of a value (valid until the next vacuum)'
            cand rm 'Delete records (tombstones; vacuum reclaims the bytes)'
            cand export-json 'Export live records as JSON Lines envelopes (or one JSON array)'
            cand info 'Show format, generation, record counts, live and dead bytes, and file sizes'
            cand physical-size 'Print the size of all the store''s files (apparent size)'
            cand vacuum 'Rewrite the live records into a new generation and reclaim the rest'
            cand check 'Verify the header, every entry, every checksum and the index'
            cand bench 'Measure mmap against buffered and positional I/O on this machine'
            cand import-dam 'Import a Jina DocumentArrayMemmap folder (header.bin + body.bin)'
            cand completions 'Print the completion script for a shell'
            cand generate 'Write completions/ and man/ into DIR'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mmstore;create'= {
            cand --if-not-exists 'Succeed without changing anything when STORE is already a store'
            cand -q 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --quiet 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --no-sync 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
            cand --wait 'Wait for another writer to release the store instead of failing with exit code 5'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mmstore;append'= {
            cand --key 'The record''s key (default: its sequence number)'
            cand --file 'Store the bytes of this file as the value'
            cand --key-field 'With --jsonl: take each record''s key from this top-level field (string or integer)'
            cand --input 'With --jsonl: read this file instead of stdin (''-'' for stdin)'
            cand --on-duplicate 'What to do when a key is already in the store (or earlier in the same input)'
            cand --jsonl 'Bulk mode: every line of the input is one JSON value, stored as one record'
            cand --create 'Create the store first if it does not exist'
            cand -q 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --quiet 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --no-sync 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
            cand --wait 'Wait for another writer to release the store instead of failing with exit code 5'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mmstore;import-csv'= {
            cand --key-column 'Take each record''s key from this column (default: auto keys)'
            cand --delimiter 'Field delimiter: one ASCII character, or ''tab'''
            cand --on-duplicate 'What to do when a key is already in the store (or earlier in the same input)'
            cand --no-header 'The first row is data; columns are named c0, c1, ...'
            cand --infer-types 'Store integers, floats, true/false as JSON values and empty fields as null'
            cand --create 'Create the store first if it does not exist'
            cand -q 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --quiet 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --no-sync 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
            cand --wait 'Wait for another writer to release the store instead of failing with exit code 5'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mmstore;import-json'= {
            cand --on-duplicate 'What to do when a key is already in the store (or earlier in the same input)'
            cand --create 'Create the store first if it does not exist'
            cand -q 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --quiet 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --no-sync 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
            cand --wait 'Wait for another writer to release the store instead of failing with exit code 5'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mmstore;get'= {
            cand --index 'The N-th live record in append order (0-based; negative counts from the end); repeatable'
            cand --keys-from 'Look up every key in this file (one a line; ''-'' for stdin)'
            cand --json 'Print JSON Lines envelopes even for a single key'
            cand -q 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --quiet 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --no-sync 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
            cand --wait 'Wait for another writer to release the store instead of failing with exit code 5'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mmstore;ls'= {
            cand --prefix 'Only keys starting with this'
            cand --limit 'Print at most N keys'
            cand --offset 'Skip the first N matching keys'
            cand --deleted 'Also list deleted and replaced records'
            cand -l 'A table: index, value size, value offset, state, key'
            cand --long 'A table: index, value size, value offset, state, key'
            cand --json 'JSON Lines objects: index, key, len, offset, state'
            cand -q 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --quiet 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --no-sync 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
            cand --wait 'Wait for another writer to release the store instead of failing with exit code 5'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mmstore;locate'= {
            cand --json 'Print a JSON object: key, file, offset, len'
            cand -q 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --quiet 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --no-sync 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
            cand --wait 'Wait for another writer to release the store instead of failing with exit code 5'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mmstore;rm'= {
            cand --index 'Delete the N-th live record (0-based; negative counts from the end); repeatable. Every N refers to the store as it was before this command'
            cand --keys-from 'Delete every key in this file (one a line; ''-'' for stdin)'
            cand --all 'Delete every live record'
            cand --missing-ok 'Ignore keys that are not in the store instead of failing (exit 1) and removing nothing'
            cand -q 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --quiet 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --no-sync 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
            cand --wait 'Wait for another writer to release the store instead of failing with exit code 5'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mmstore;export-json'= {
            cand -o 'Write to this file (atomically: a temporary file renamed into place) instead of stdout'
            cand --output 'Write to this file (atomically: a temporary file renamed into place) instead of stdout'
            cand --prefix 'Only keys starting with this'
            cand --array 'Write one JSON array instead of JSON Lines'
            cand -q 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --quiet 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --no-sync 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
            cand --wait 'Wait for another writer to release the store instead of failing with exit code 5'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mmstore;info'= {
            cand --threshold 'Recommend a vacuum when at least this fraction of the record bytes is dead'
            cand --json 'Print a JSON object'
            cand -q 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --quiet 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --no-sync 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
            cand --wait 'Wait for another writer to release the store instead of failing with exit code 5'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mmstore;physical-size'= {
            cand --bytes 'Print the exact number of bytes'
            cand --json 'Print a JSON object: files (name to bytes), total, allocated'
            cand -q 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --quiet 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --no-sync 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
            cand --wait 'Wait for another writer to release the store instead of failing with exit code 5'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mmstore;vacuum'= {
            cand --dry-run 'Report what would be reclaimed; change nothing'
            cand --json 'Print a JSON object: before, after, reclaimed (bytes)'
            cand -q 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --quiet 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --no-sync 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
            cand --wait 'Wait for another writer to release the store instead of failing with exit code 5'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mmstore;check'= {
            cand --max-errors 'Stop after N problems'
            cand --quick 'Structure only: skip the body checksums'
            cand --repair 'Drop an uncommitted tail, rewrite a damaged header slot, rebuild the index and counts'
            cand --drop-corrupt 'With --repair: write a new generation without the records that fail their checksum'
            cand --json 'Print a JSON object: ok, problems [{file, offset, key, what}], notes'
            cand -q 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --quiet 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --no-sync 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
            cand --wait 'Wait for another writer to release the store instead of failing with exit code 5'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mmstore;bench'= {
            cand --size 'Size of the bench file: a byte count with an optional unit, B, KiB, MiB, GiB, TiB (powers of 1024) or KB, MB, GB, TB (powers of 1000); at least 64KiB'
            cand --dir 'Directory for the bench file, on the filesystem to measure [default: the system temp dir]'
            cand --repeat 'Runs of each operation each way; the median is reported, with the min and max'
            cand --ops 'Random 4 KiB reads and updates per run [default: one per 4 KiB of the file, at most 16384]'
            cand --seed 'Seed of the file''s bytes and of the random offsets (the same seed, the same work)'
            cand --store 'Instead of the file benchmark: random gets of existing keys of STORE, through the store''s map (a real `get`: index probe, entry, value) and through pread of the same value offsets (--ops keys, default 10000)'
            cand --cold 'Cold cache: before each run, sync the file and evict its pages from the page cache with posix_fadvise(POSIX_FADV_DONTNEED), so reads come from the disk'
            cand --advise 'Also run the mmap way with madvise hints (MADV_SEQUENTIAL for scans and the sequential write, MADV_RANDOM for random access) and report the difference they make'
            cand --json 'Print every number as one JSON object on stdout instead of the table: machine, params, results [{op, way, seconds, bytes_per_s, p50_us, p99_us, ratio_vs_buffered, ...}], summary'
            cand -q 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --quiet 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --no-sync 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
            cand --wait 'Wait for another writer to release the store instead of failing with exit code 5'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mmstore;import-dam'= {
            cand --key-length 'Key length of the header rows, in UTF-32 code units'
            cand --on-duplicate 'What to do when a key is already in the store (or earlier in the same input)'
            cand --create 'Create the store first if it does not exist'
            cand -q 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --quiet 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --no-sync 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
            cand --wait 'Wait for another writer to release the store instead of failing with exit code 5'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mmstore;completions'= {
            cand -q 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --quiet 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --no-sync 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
            cand --wait 'Wait for another writer to release the store instead of failing with exit code 5'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mmstore;generate'= {
            cand -q 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --quiet 'No progress bars and no summaries on stderr (errors are still printed)'
            cand --no-sync 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
            cand --wait 'Wait for another writer to release the store instead of failing with exit code 5'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mmstore;help'= {
            cand create 'Make a new, empty store'
            cand append 'Append one record, or many from JSON Lines'
            cand import-csv 'Import CSV rows as JSON object records'
            cand import-json 'Restore records from export-json output (JSON Lines or --array)'
            cand get 'Print the value of one key (raw bytes), or envelopes for several'
            cand ls 'List keys in append order'
            cand locate 'Print the body file, byte offset and length of a value (valid until the next vacuum)'
            cand rm 'Delete records (tombstones; vacuum reclaims the bytes)'
            cand export-json 'Export live records as JSON Lines envelopes (or one JSON array)'
            cand info 'Show format, generation, record counts, live and dead bytes, and file sizes'
            cand physical-size 'Print the size of all the store''s files (apparent size)'
            cand vacuum 'Rewrite the live records into a new generation and reclaim the rest'
            cand check 'Verify the header, every entry, every checksum and the index'
            cand bench 'Measure mmap against buffered and positional I/O on this machine'
            cand import-dam 'Import a Jina DocumentArrayMemmap folder (header.bin + body.bin)'
            cand completions 'Print the completion script for a shell'
            cand generate 'Write completions/ and man/ into DIR'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mmstore;help;create'= {
        }
        &'mmstore;help;append'= {
        }
        &'mmstore;help;import-csv'= {
        }
        &'mmstore;help;import-json'= {
        }
        &'mmstore;help;get'= {
        }
        &'mmstore;help;ls'= {
        }
        &'mmstore;help;locate'= {
        }
        &'mmstore;help;rm'= {
        }
        &'mmstore;help;export-json'= {
        }
        &'mmstore;help;info'= {
        }
        &'mmstore;help;physical-size'= {
        }
        &'mmstore;help;vacuum'= {
        }
        &'mmstore;help;check'= {
        }
        &'mmstore;help;bench'= {
        }
        &'mmstore;help;import-dam'= {
        }
        &'mmstore;help;completions'= {
        }
        &'mmstore;help;generate'= {
        }
        &'mmstore;help;help'= {
        }
    ]
    $completions[$command]
}
