# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_mmstore_global_optspecs
    string join \n q/quiet no-sync wait h/help V/version
end

function __fish_mmstore_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_mmstore_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_mmstore_using_subcommand
    set -l cmd (__fish_mmstore_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c mmstore -n "__fish_mmstore_needs_command" -s q -l quiet -d 'No progress bars and no summaries on stderr (errors are still printed)'
complete -c mmstore -n "__fish_mmstore_needs_command" -l no-sync -d 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
complete -c mmstore -n "__fish_mmstore_needs_command" -l wait -d 'Wait for another writer to release the store instead of failing with exit code 5'
complete -c mmstore -n "__fish_mmstore_needs_command" -s h -l help -d 'Print help'
complete -c mmstore -n "__fish_mmstore_needs_command" -s V -l version -d 'Print version'
complete -c mmstore -n "__fish_mmstore_needs_command" -f -a "create" -d 'Make a new, empty store'
complete -c mmstore -n "__fish_mmstore_needs_command" -f -a "append" -d 'Append one record, or many from JSON Lines'
complete -c mmstore -n "__fish_mmstore_needs_command" -f -a "import-csv" -d 'Import CSV rows as JSON object records'
complete -c mmstore -n "__fish_mmstore_needs_command" -f -a "import-json" -d 'Restore records from export-json output (JSON Lines or --array)'
complete -c mmstore -n "__fish_mmstore_needs_command" -f -a "get" -d 'Print the value of one key (raw bytes), or envelopes for several'
complete -c mmstore -n "__fish_mmstore_needs_command" -f -a "ls" -d 'List keys in append order'
complete -c mmstore -n "__fish_mmstore_needs_command" -f -a "locate" -d 'Print the body file, byte offset and length of a value (valid until the next vacuum)'
complete -c mmstore -n "__fish_mmstore_needs_command" -f -a "rm" -d 'Delete records (tombstones; vacuum reclaims the bytes)'
complete -c mmstore -n "__fish_mmstore_needs_command" -f -a "export-json" -d 'Export live records as JSON Lines envelopes (or one JSON array)'
complete -c mmstore -n "__fish_mmstore_needs_command" -f -a "info" -d 'Show format, generation, record counts, live and dead bytes, and file sizes'
complete -c mmstore -n "__fish_mmstore_needs_command" -f -a "physical-size" -d 'Print the size of all the store\'s files (apparent size)'
complete -c mmstore -n "__fish_mmstore_needs_command" -f -a "vacuum" -d 'Rewrite the live records into a new generation and reclaim the rest'
complete -c mmstore -n "__fish_mmstore_needs_command" -f -a "check" -d 'Verify the header, every entry, every checksum and the index'
complete -c mmstore -n "__fish_mmstore_needs_command" -f -a "bench" -d 'Measure mmap against buffered and positional I/O on this machine'
complete -c mmstore -n "__fish_mmstore_needs_command" -f -a "import-dam" -d 'Import a Jina DocumentArrayMemmap folder (header.bin + body.bin)'
complete -c mmstore -n "__fish_mmstore_needs_command" -f -a "completions" -d 'Print the completion script for a shell'
complete -c mmstore -n "__fish_mmstore_needs_command" -f -a "generate" -d 'Write completions/ and man/ into DIR'
complete -c mmstore -n "__fish_mmstore_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mmstore -n "__fish_mmstore_using_subcommand create" -l if-not-exists -d 'Succeed without changing anything when STORE is already a store'
complete -c mmstore -n "__fish_mmstore_using_subcommand create" -s q -l quiet -d 'No progress bars and no summaries on stderr (errors are still printed)'
complete -c mmstore -n "__fish_mmstore_using_subcommand create" -l no-sync -d 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
complete -c mmstore -n "__fish_mmstore_using_subcommand create" -l wait -d 'Wait for another writer to release the store instead of failing with exit code 5'
complete -c mmstore -n "__fish_mmstore_using_subcommand create" -s h -l help -d 'Print help'
complete -c mmstore -n "__fish_mmstore_using_subcommand create" -s V -l version -d 'Print version'
complete -c mmstore -n "__fish_mmstore_using_subcommand append" -l key -d 'The record\'s key (default: its sequence number)' -r
complete -c mmstore -n "__fish_mmstore_using_subcommand append" -l file -d 'Store the bytes of this file as the value' -r -F
complete -c mmstore -n "__fish_mmstore_using_subcommand append" -l key-field -d 'With --jsonl: take each record\'s key from this top-level field (string or integer)' -r
complete -c mmstore -n "__fish_mmstore_using_subcommand append" -l input -d 'With --jsonl: read this file instead of stdin (\'-\' for stdin)' -r -F
complete -c mmstore -n "__fish_mmstore_using_subcommand append" -l on-duplicate -d 'What to do when a key is already in the store (or earlier in the same input)' -r -f -a "error\t'Abort the whole batch with exit code 3'
replace\t'Tombstone the old record and store the new one'
skip\t'Keep the old record and drop the new one'"
complete -c mmstore -n "__fish_mmstore_using_subcommand append" -l jsonl -d 'Bulk mode: every line of the input is one JSON value, stored as one record'
complete -c mmstore -n "__fish_mmstore_using_subcommand append" -l create -d 'Create the store first if it does not exist'
complete -c mmstore -n "__fish_mmstore_using_subcommand append" -s q -l quiet -d 'No progress bars and no summaries on stderr (errors are still printed)'
complete -c mmstore -n "__fish_mmstore_using_subcommand append" -l no-sync -d 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
complete -c mmstore -n "__fish_mmstore_using_subcommand append" -l wait -d 'Wait for another writer to release the store instead of failing with exit code 5'
complete -c mmstore -n "__fish_mmstore_using_subcommand append" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mmstore -n "__fish_mmstore_using_subcommand append" -s V -l version -d 'Print version'
complete -c mmstore -n "__fish_mmstore_using_subcommand import-csv" -l key-column -d 'Take each record\'s key from this column (default: auto keys)' -r
complete -c mmstore -n "__fish_mmstore_using_subcommand import-csv" -l delimiter -d 'Field delimiter: one ASCII character, or \'tab\'' -r
complete -c mmstore -n "__fish_mmstore_using_subcommand import-csv" -l on-duplicate -d 'What to do when a key is already in the store (or earlier in the same input)' -r -f -a "error\t'Abort the whole batch with exit code 3'
replace\t'Tombstone the old record and store the new one'
skip\t'Keep the old record and drop the new one'"
complete -c mmstore -n "__fish_mmstore_using_subcommand import-csv" -l no-header -d 'The first row is data; columns are named c0, c1, ...'
complete -c mmstore -n "__fish_mmstore_using_subcommand import-csv" -l infer-types -d 'Store integers, floats, true/false as JSON values and empty fields as null'
complete -c mmstore -n "__fish_mmstore_using_subcommand import-csv" -l create -d 'Create the store first if it does not exist'
complete -c mmstore -n "__fish_mmstore_using_subcommand import-csv" -s q -l quiet -d 'No progress bars and no summaries on stderr (errors are still printed)'
complete -c mmstore -n "__fish_mmstore_using_subcommand import-csv" -l no-sync -d 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
complete -c mmstore -n "__fish_mmstore_using_subcommand import-csv" -l wait -d 'Wait for another writer to release the store instead of failing with exit code 5'
complete -c mmstore -n "__fish_mmstore_using_subcommand import-csv" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mmstore -n "__fish_mmstore_using_subcommand import-csv" -s V -l version -d 'Print version'
complete -c mmstore -n "__fish_mmstore_using_subcommand import-json" -l on-duplicate -d 'What to do when a key is already in the store (or earlier in the same input)' -r -f -a "error\t'Abort the whole batch with exit code 3'
replace\t'Tombstone the old record and store the new one'
skip\t'Keep the old record and drop the new one'"
complete -c mmstore -n "__fish_mmstore_using_subcommand import-json" -l create -d 'Create the store first if it does not exist'
complete -c mmstore -n "__fish_mmstore_using_subcommand import-json" -s q -l quiet -d 'No progress bars and no summaries on stderr (errors are still printed)'
complete -c mmstore -n "__fish_mmstore_using_subcommand import-json" -l no-sync -d 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
complete -c mmstore -n "__fish_mmstore_using_subcommand import-json" -l wait -d 'Wait for another writer to release the store instead of failing with exit code 5'
complete -c mmstore -n "__fish_mmstore_using_subcommand import-json" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mmstore -n "__fish_mmstore_using_subcommand import-json" -s V -l version -d 'Print version'
complete -c mmstore -n "__fish_mmstore_using_subcommand get" -l index -d 'The N-th live record in append order (0-based; negative counts from the end); repeatable' -r
complete -c mmstore -n "__fish_mmstore_using_subcommand get" -l keys-from -d 'Look up every key in this file (one a line; \'-\' for stdin)' -r -F
complete -c mmstore -n "__fish_mmstore_using_subcommand get" -l json -d 'Print JSON Lines envelopes even for a single key'
complete -c mmstore -n "__fish_mmstore_using_subcommand get" -s q -l quiet -d 'No progress bars and no summaries on stderr (errors are still printed)'
complete -c mmstore -n "__fish_mmstore_using_subcommand get" -l no-sync -d 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
complete -c mmstore -n "__fish_mmstore_using_subcommand get" -l wait -d 'Wait for another writer to release the store instead of failing with exit code 5'
complete -c mmstore -n "__fish_mmstore_using_subcommand get" -s h -l help -d 'Print help'
complete -c mmstore -n "__fish_mmstore_using_subcommand get" -s V -l version -d 'Print version'
complete -c mmstore -n "__fish_mmstore_using_subcommand ls" -l prefix -d 'Only keys starting with this' -r
complete -c mmstore -n "__fish_mmstore_using_subcommand ls" -l limit -d 'Print at most N keys' -r
complete -c mmstore -n "__fish_mmstore_using_subcommand ls" -l offset -d 'Skip the first N matching keys' -r
complete -c mmstore -n "__fish_mmstore_using_subcommand ls" -l deleted -d 'Also list deleted and replaced records'
complete -c mmstore -n "__fish_mmstore_using_subcommand ls" -s l -l long -d 'A table: index, value size, value offset, state, key'
complete -c mmstore -n "__fish_mmstore_using_subcommand ls" -l json -d 'JSON Lines objects: index, key, len, offset, state'
complete -c mmstore -n "__fish_mmstore_using_subcommand ls" -s q -l quiet -d 'No progress bars and no summaries on stderr (errors are still printed)'
complete -c mmstore -n "__fish_mmstore_using_subcommand ls" -l no-sync -d 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
complete -c mmstore -n "__fish_mmstore_using_subcommand ls" -l wait -d 'Wait for another writer to release the store instead of failing with exit code 5'
complete -c mmstore -n "__fish_mmstore_using_subcommand ls" -s h -l help -d 'Print help'
complete -c mmstore -n "__fish_mmstore_using_subcommand ls" -s V -l version -d 'Print version'
complete -c mmstore -n "__fish_mmstore_using_subcommand locate" -l json -d 'Print a JSON object: key, file, offset, len'
complete -c mmstore -n "__fish_mmstore_using_subcommand locate" -s q -l quiet -d 'No progress bars and no summaries on stderr (errors are still printed)'
complete -c mmstore -n "__fish_mmstore_using_subcommand locate" -l no-sync -d 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
complete -c mmstore -n "__fish_mmstore_using_subcommand locate" -l wait -d 'Wait for another writer to release the store instead of failing with exit code 5'
complete -c mmstore -n "__fish_mmstore_using_subcommand locate" -s h -l help -d 'Print help'
complete -c mmstore -n "__fish_mmstore_using_subcommand locate" -s V -l version -d 'Print version'
complete -c mmstore -n "__fish_mmstore_using_subcommand rm" -l index -d 'Delete the N-th live record (0-based; negative counts from the end); repeatable. Every N refers to the store as it was before this command' -r
complete -c mmstore -n "__fish_mmstore_using_subcommand rm" -l keys-from -d 'Delete every key in this file (one a line; \'-\' for stdin)' -r -F
complete -c mmstore -n "__fish_mmstore_using_subcommand rm" -l all -d 'Delete every live record'
complete -c mmstore -n "__fish_mmstore_using_subcommand rm" -l missing-ok -d 'Ignore keys that are not in the store instead of failing (exit 1) and removing nothing'
complete -c mmstore -n "__fish_mmstore_using_subcommand rm" -s q -l quiet -d 'No progress bars and no summaries on stderr (errors are still printed)'
complete -c mmstore -n "__fish_mmstore_using_subcommand rm" -l no-sync -d 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
complete -c mmstore -n "__fish_mmstore_using_subcommand rm" -l wait -d 'Wait for another writer to release the store instead of failing with exit code 5'
complete -c mmstore -n "__fish_mmstore_using_subcommand rm" -s h -l help -d 'Print help'
complete -c mmstore -n "__fish_mmstore_using_subcommand rm" -s V -l version -d 'Print version'
complete -c mmstore -n "__fish_mmstore_using_subcommand export-json" -s o -l output -d 'Write to this file (atomically: a temporary file renamed into place) instead of stdout' -r -F
complete -c mmstore -n "__fish_mmstore_using_subcommand export-json" -l prefix -d 'Only keys starting with this' -r
complete -c mmstore -n "__fish_mmstore_using_subcommand export-json" -l array -d 'Write one JSON array instead of JSON Lines'
complete -c mmstore -n "__fish_mmstore_using_subcommand export-json" -s q -l quiet -d 'No progress bars and no summaries on stderr (errors are still printed)'
complete -c mmstore -n "__fish_mmstore_using_subcommand export-json" -l no-sync -d 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
complete -c mmstore -n "__fish_mmstore_using_subcommand export-json" -l wait -d 'Wait for another writer to release the store instead of failing with exit code 5'
complete -c mmstore -n "__fish_mmstore_using_subcommand export-json" -s h -l help -d 'Print help'
complete -c mmstore -n "__fish_mmstore_using_subcommand export-json" -s V -l version -d 'Print version'
complete -c mmstore -n "__fish_mmstore_using_subcommand info" -l threshold -d 'Recommend a vacuum when at least this fraction of the record bytes is dead' -r
complete -c mmstore -n "__fish_mmstore_using_subcommand info" -l json -d 'Print a JSON object'
complete -c mmstore -n "__fish_mmstore_using_subcommand info" -s q -l quiet -d 'No progress bars and no summaries on stderr (errors are still printed)'
complete -c mmstore -n "__fish_mmstore_using_subcommand info" -l no-sync -d 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
complete -c mmstore -n "__fish_mmstore_using_subcommand info" -l wait -d 'Wait for another writer to release the store instead of failing with exit code 5'
complete -c mmstore -n "__fish_mmstore_using_subcommand info" -s h -l help -d 'Print help'
complete -c mmstore -n "__fish_mmstore_using_subcommand info" -s V -l version -d 'Print version'
complete -c mmstore -n "__fish_mmstore_using_subcommand physical-size" -l bytes -d 'Print the exact number of bytes'
complete -c mmstore -n "__fish_mmstore_using_subcommand physical-size" -l json -d 'Print a JSON object: files (name to bytes), total, allocated'
complete -c mmstore -n "__fish_mmstore_using_subcommand physical-size" -s q -l quiet -d 'No progress bars and no summaries on stderr (errors are still printed)'
complete -c mmstore -n "__fish_mmstore_using_subcommand physical-size" -l no-sync -d 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
complete -c mmstore -n "__fish_mmstore_using_subcommand physical-size" -l wait -d 'Wait for another writer to release the store instead of failing with exit code 5'
complete -c mmstore -n "__fish_mmstore_using_subcommand physical-size" -s h -l help -d 'Print help'
complete -c mmstore -n "__fish_mmstore_using_subcommand physical-size" -s V -l version -d 'Print version'
complete -c mmstore -n "__fish_mmstore_using_subcommand vacuum" -l dry-run -d 'Report what would be reclaimed; change nothing'
complete -c mmstore -n "__fish_mmstore_using_subcommand vacuum" -l json -d 'Print a JSON object: before, after, reclaimed (bytes)'
complete -c mmstore -n "__fish_mmstore_using_subcommand vacuum" -s q -l quiet -d 'No progress bars and no summaries on stderr (errors are still printed)'
complete -c mmstore -n "__fish_mmstore_using_subcommand vacuum" -l no-sync -d 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
complete -c mmstore -n "__fish_mmstore_using_subcommand vacuum" -l wait -d 'Wait for another writer to release the store instead of failing with exit code 5'
complete -c mmstore -n "__fish_mmstore_using_subcommand vacuum" -s h -l help -d 'Print help'
complete -c mmstore -n "__fish_mmstore_using_subcommand vacuum" -s V -l version -d 'Print version'
complete -c mmstore -n "__fish_mmstore_using_subcommand check" -l max-errors -d 'Stop after N problems' -r
complete -c mmstore -n "__fish_mmstore_using_subcommand check" -l quick -d 'Structure only: skip the body checksums'
complete -c mmstore -n "__fish_mmstore_using_subcommand check" -l repair -d 'Drop an uncommitted tail, rewrite a damaged header slot, rebuild the index and counts'
complete -c mmstore -n "__fish_mmstore_using_subcommand check" -l drop-corrupt -d 'With --repair: write a new generation without the records that fail their checksum'
complete -c mmstore -n "__fish_mmstore_using_subcommand check" -l json -d 'Print a JSON object: ok, problems [{file, offset, key, what}], notes'
complete -c mmstore -n "__fish_mmstore_using_subcommand check" -s q -l quiet -d 'No progress bars and no summaries on stderr (errors are still printed)'
complete -c mmstore -n "__fish_mmstore_using_subcommand check" -l no-sync -d 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
complete -c mmstore -n "__fish_mmstore_using_subcommand check" -l wait -d 'Wait for another writer to release the store instead of failing with exit code 5'
complete -c mmstore -n "__fish_mmstore_using_subcommand check" -s h -l help -d 'Print help'
complete -c mmstore -n "__fish_mmstore_using_subcommand check" -s V -l version -d 'Print version'
complete -c mmstore -n "__fish_mmstore_using_subcommand bench" -l size -d 'Size of the bench file: a byte count with an optional unit, B, KiB, MiB, GiB, TiB (powers of 1024) or KB, MB, GB, TB (powers of 1000); at least 64KiB' -r
complete -c mmstore -n "__fish_mmstore_using_subcommand bench" -l dir -d 'Directory for the bench file, on the filesystem to measure [default: the system temp dir]' -r -F
complete -c mmstore -n "__fish_mmstore_using_subcommand bench" -l repeat -d 'Runs of each operation each way; the median is reported, with the min and max' -r
complete -c mmstore -n "__fish_mmstore_using_subcommand bench" -l ops -d 'Random 4 KiB reads and updates per run [default: one per 4 KiB of the file, at most 16384]' -r
complete -c mmstore -n "__fish_mmstore_using_subcommand bench" -l seed -d 'Seed of the file\'s bytes and of the random offsets (the same seed, the same work)' -r
complete -c mmstore -n "__fish_mmstore_using_subcommand bench" -l store -d 'Instead of the file benchmark: random gets of existing keys of STORE, through the store\'s map (a real `get`: index probe, entry, value) and through pread of the same value offsets (--ops keys, default 10000)' -r -F
complete -c mmstore -n "__fish_mmstore_using_subcommand bench" -l cold -d 'Cold cache: before each run, sync the file and evict its pages from the page cache with posix_fadvise(POSIX_FADV_DONTNEED), so reads come from the disk'
complete -c mmstore -n "__fish_mmstore_using_subcommand bench" -l advise -d 'Also run the mmap way with madvise hints (MADV_SEQUENTIAL for scans and the sequential write, MADV_RANDOM for random access) and report the difference they make'
complete -c mmstore -n "__fish_mmstore_using_subcommand bench" -l json -d 'Print every number as one JSON object on stdout instead of the table: machine, params, results [{op, way, seconds, bytes_per_s, p50_us, p99_us, ratio_vs_buffered, ...}], summary'
complete -c mmstore -n "__fish_mmstore_using_subcommand bench" -s q -l quiet -d 'No progress bars and no summaries on stderr (errors are still printed)'
complete -c mmstore -n "__fish_mmstore_using_subcommand bench" -l no-sync -d 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
complete -c mmstore -n "__fish_mmstore_using_subcommand bench" -l wait -d 'Wait for another writer to release the store instead of failing with exit code 5'
complete -c mmstore -n "__fish_mmstore_using_subcommand bench" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mmstore -n "__fish_mmstore_using_subcommand bench" -s V -l version -d 'Print version'
complete -c mmstore -n "__fish_mmstore_using_subcommand import-dam" -l key-length -d 'Key length of the header rows, in UTF-32 code units' -r
complete -c mmstore -n "__fish_mmstore_using_subcommand import-dam" -l on-duplicate -d 'What to do when a key is already in the store (or earlier in the same input)' -r -f -a "error\t'Abort the whole batch with exit code 3'
replace\t'Tombstone the old record and store the new one'
skip\t'Keep the old record and drop the new one'"
complete -c mmstore -n "__fish_mmstore_using_subcommand import-dam" -l create -d 'Create the store first if it does not exist'
complete -c mmstore -n "__fish_mmstore_using_subcommand import-dam" -s q -l quiet -d 'No progress bars and no summaries on stderr (errors are still printed)'
complete -c mmstore -n "__fish_mmstore_using_subcommand import-dam" -l no-sync -d 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
complete -c mmstore -n "__fish_mmstore_using_subcommand import-dam" -l wait -d 'Wait for another writer to release the store instead of failing with exit code 5'
complete -c mmstore -n "__fish_mmstore_using_subcommand import-dam" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mmstore -n "__fish_mmstore_using_subcommand import-dam" -s V -l version -d 'Print version'
complete -c mmstore -n "__fish_mmstore_using_subcommand completions" -s q -l quiet -d 'No progress bars and no summaries on stderr (errors are still printed)'
complete -c mmstore -n "__fish_mmstore_using_subcommand completions" -l no-sync -d 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
complete -c mmstore -n "__fish_mmstore_using_subcommand completions" -l wait -d 'Wait for another writer to release the store instead of failing with exit code 5'
complete -c mmstore -n "__fish_mmstore_using_subcommand completions" -s h -l help -d 'Print help'
complete -c mmstore -n "__fish_mmstore_using_subcommand completions" -s V -l version -d 'Print version'
complete -c mmstore -n "__fish_mmstore_using_subcommand generate" -s q -l quiet -d 'No progress bars and no summaries on stderr (errors are still printed)'
complete -c mmstore -n "__fish_mmstore_using_subcommand generate" -l no-sync -d 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes'
complete -c mmstore -n "__fish_mmstore_using_subcommand generate" -l wait -d 'Wait for another writer to release the store instead of failing with exit code 5'
complete -c mmstore -n "__fish_mmstore_using_subcommand generate" -s h -l help -d 'Print help'
complete -c mmstore -n "__fish_mmstore_using_subcommand generate" -s V -l version -d 'Print version'
complete -c mmstore -n "__fish_mmstore_using_subcommand help; and not __fish_seen_subcommand_from create append import-csv import-json get ls locate rm export-json info physical-size vacuum check bench import-dam completions generate help" -f -a "create" -d 'Make a new, empty store'
complete -c mmstore -n "__fish_mmstore_using_subcommand help; and not __fish_seen_subcommand_from create append import-csv import-json get ls locate rm export-json info physical-size vacuum check bench import-dam completions generate help" -f -a "append" -d 'Append one record, or many from JSON Lines'
complete -c mmstore -n "__fish_mmstore_using_subcommand help; and not __fish_seen_subcommand_from create append import-csv import-json get ls locate rm export-json info physical-size vacuum check bench import-dam completions generate help" -f -a "import-csv" -d 'Import CSV rows as JSON object records'
complete -c mmstore -n "__fish_mmstore_using_subcommand help; and not __fish_seen_subcommand_from create append import-csv import-json get ls locate rm export-json info physical-size vacuum check bench import-dam completions generate help" -f -a "import-json" -d 'Restore records from export-json output (JSON Lines or --array)'
complete -c mmstore -n "__fish_mmstore_using_subcommand help; and not __fish_seen_subcommand_from create append import-csv import-json get ls locate rm export-json info physical-size vacuum check bench import-dam completions generate help" -f -a "get" -d 'Print the value of one key (raw bytes), or envelopes for several'
complete -c mmstore -n "__fish_mmstore_using_subcommand help; and not __fish_seen_subcommand_from create append import-csv import-json get ls locate rm export-json info physical-size vacuum check bench import-dam completions generate help" -f -a "ls" -d 'List keys in append order'
complete -c mmstore -n "__fish_mmstore_using_subcommand help; and not __fish_seen_subcommand_from create append import-csv import-json get ls locate rm export-json info physical-size vacuum check bench import-dam completions generate help" -f -a "locate" -d 'Print the body file, byte offset and length of a value (valid until the next vacuum)'
complete -c mmstore -n "__fish_mmstore_using_subcommand help; and not __fish_seen_subcommand_from create append import-csv import-json get ls locate rm export-json info physical-size vacuum check bench import-dam completions generate help" -f -a "rm" -d 'Delete records (tombstones; vacuum reclaims the bytes)'
complete -c mmstore -n "__fish_mmstore_using_subcommand help; and not __fish_seen_subcommand_from create append import-csv import-json get ls locate rm export-json info physical-size vacuum check bench import-dam completions generate help" -f -a "export-json" -d 'Export live records as JSON Lines envelopes (or one JSON array)'
complete -c mmstore -n "__fish_mmstore_using_subcommand help; and not __fish_seen_subcommand_from create append import-csv import-json get ls locate rm export-json info physical-size vacuum check bench import-dam completions generate help" -f -a "info" -d 'Show format, generation, record counts, live and dead bytes, and file sizes'
complete -c mmstore -n "__fish_mmstore_using_subcommand help; and not __fish_seen_subcommand_from create append import-csv import-json get ls locate rm export-json info physical-size vacuum check bench import-dam completions generate help" -f -a "physical-size" -d 'Print the size of all the store\'s files (apparent size)'
complete -c mmstore -n "__fish_mmstore_using_subcommand help; and not __fish_seen_subcommand_from create append import-csv import-json get ls locate rm export-json info physical-size vacuum check bench import-dam completions generate help" -f -a "vacuum" -d 'Rewrite the live records into a new generation and reclaim the rest'
complete -c mmstore -n "__fish_mmstore_using_subcommand help; and not __fish_seen_subcommand_from create append import-csv import-json get ls locate rm export-json info physical-size vacuum check bench import-dam completions generate help" -f -a "check" -d 'Verify the header, every entry, every checksum and the index'
complete -c mmstore -n "__fish_mmstore_using_subcommand help; and not __fish_seen_subcommand_from create append import-csv import-json get ls locate rm export-json info physical-size vacuum check bench import-dam completions generate help" -f -a "bench" -d 'Measure mmap against buffered and positional I/O on this machine'
complete -c mmstore -n "__fish_mmstore_using_subcommand help; and not __fish_seen_subcommand_from create append import-csv import-json get ls locate rm export-json info physical-size vacuum check bench import-dam completions generate help" -f -a "import-dam" -d 'Import a Jina DocumentArrayMemmap folder (header.bin + body.bin)'
complete -c mmstore -n "__fish_mmstore_using_subcommand help; and not __fish_seen_subcommand_from create append import-csv import-json get ls locate rm export-json info physical-size vacuum check bench import-dam completions generate help" -f -a "completions" -d 'Print the completion script for a shell'
complete -c mmstore -n "__fish_mmstore_using_subcommand help; and not __fish_seen_subcommand_from create append import-csv import-json get ls locate rm export-json info physical-size vacuum check bench import-dam completions generate help" -f -a "generate" -d 'Write completions/ and man/ into DIR'
complete -c mmstore -n "__fish_mmstore_using_subcommand help; and not __fish_seen_subcommand_from create append import-csv import-json get ls locate rm export-json info physical-size vacuum check bench import-dam completions generate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
