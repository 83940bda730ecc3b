
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'mmstore' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'mmstore'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'mmstore' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--no-sync', '--no-sync', [CompletionResultType]::ParameterName, 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another writer to release the store instead of failing with exit code 5')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Make a new, empty store')
            [CompletionResult]::new('append', 'append', [CompletionResultType]::ParameterValue, 'Append one record, or many from JSON Lines')
            [CompletionResult]::new('import-csv', 'import-csv', [CompletionResultType]::ParameterValue, 'Import CSV rows as JSON object records')
            [CompletionResult]::new('import-json', 'import-json', [CompletionResultType]::ParameterValue, 'Restore records from export-json output (JSON Lines or --array)')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Print the value of one key (raw bytes), or envelopes for several')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List keys in append order')
            [CompletionResult]::new('locate', 'locate', [CompletionResultType]::ParameterValue, 'Print the body file, byte offset and length of a value (valid until the next vacuum)')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Delete records (tombstones; vacuum reclaims the bytes)')
            [CompletionResult]::new('export-json', 'export-json', [CompletionResultType]::ParameterValue, 'Export live records as JSON Lines envelopes (or one JSON array)')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Show format, generation, record counts, live and dead bytes, and file sizes')
            [CompletionResult]::new('physical-size', 'physical-size', [CompletionResultType]::ParameterValue, 'Print the size of all the store''s files (apparent size)')
            [CompletionResult]::new('vacuum', 'vacuum', [CompletionResultType]::ParameterValue, 'Rewrite the live records into a new generation and reclaim the rest')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Verify the header, every entry, every checksum and the index')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Measure mmap against buffered and positional I/O on this machine')
            [CompletionResult]::new('import-dam', 'import-dam', [CompletionResultType]::ParameterValue, 'Import a Jina DocumentArrayMemmap folder (header.bin + body.bin)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the completion script for a shell')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write completions/ and man/ into DIR')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mmstore;create' {
            [CompletionResult]::new('--if-not-exists', '--if-not-exists', [CompletionResultType]::ParameterName, 'Succeed without changing anything when STORE is already a store')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--no-sync', '--no-sync', [CompletionResultType]::ParameterName, 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another writer to release the store instead of failing with exit code 5')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mmstore;append' {
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'The record''s key (default: its sequence number)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Store the bytes of this file as the value')
            [CompletionResult]::new('--key-field', '--key-field', [CompletionResultType]::ParameterName, 'With --jsonl: take each record''s key from this top-level field (string or integer)')
            [CompletionResult]::new('--input', '--input', [CompletionResultType]::ParameterName, 'With --jsonl: read this file instead of stdin (''-'' for stdin)')
            [CompletionResult]::new('--on-duplicate', '--on-duplicate', [CompletionResultType]::ParameterName, 'What to do when a key is already in the store (or earlier in the same input)')
            [CompletionResult]::new('--jsonl', '--jsonl', [CompletionResultType]::ParameterName, 'Bulk mode: every line of the input is one JSON value, stored as one record')
            [CompletionResult]::new('--create', '--create', [CompletionResultType]::ParameterName, 'Create the store first if it does not exist')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--no-sync', '--no-sync', [CompletionResultType]::ParameterName, 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another writer to release the store instead of failing with exit code 5')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mmstore;import-csv' {
            [CompletionResult]::new('--key-column', '--key-column', [CompletionResultType]::ParameterName, 'Take each record''s key from this column (default: auto keys)')
            [CompletionResult]::new('--delimiter', '--delimiter', [CompletionResultType]::ParameterName, 'Field delimiter: one ASCII character, or ''tab''')
            [CompletionResult]::new('--on-duplicate', '--on-duplicate', [CompletionResultType]::ParameterName, 'What to do when a key is already in the store (or earlier in the same input)')
            [CompletionResult]::new('--no-header', '--no-header', [CompletionResultType]::ParameterName, 'The first row is data; columns are named c0, c1, ...')
            [CompletionResult]::new('--infer-types', '--infer-types', [CompletionResultType]::ParameterName, 'Store integers, floats, true/false as JSON values and empty fields as null')
            [CompletionResult]::new('--create', '--create', [CompletionResultType]::ParameterName, 'Create the store first if it does not exist')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--no-sync', '--no-sync', [CompletionResultType]::ParameterName, 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another writer to release the store instead of failing with exit code 5')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mmstore;import-json' {
            [CompletionResult]::new('--on-duplicate', '--on-duplicate', [CompletionResultType]::ParameterName, 'What to do when a key is already in the store (or earlier in the same input)')
            [CompletionResult]::new('--create', '--create', [CompletionResultType]::ParameterName, 'Create the store first if it does not exist')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--no-sync', '--no-sync', [CompletionResultType]::ParameterName, 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another writer to release the store instead of failing with exit code 5')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mmstore;get' {
            [CompletionResult]::new('--index', '--index', [CompletionResultType]::ParameterName, 'The N-th live record in append order (0-based; negative counts from the end); repeatable')
            [CompletionResult]::new('--keys-from', '--keys-from', [CompletionResultType]::ParameterName, 'Look up every key in this file (one a line; ''-'' for stdin)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines envelopes even for a single key')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--no-sync', '--no-sync', [CompletionResultType]::ParameterName, 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another writer to release the store instead of failing with exit code 5')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mmstore;ls' {
            [CompletionResult]::new('--prefix', '--prefix', [CompletionResultType]::ParameterName, 'Only keys starting with this')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Print at most N keys')
            [CompletionResult]::new('--offset', '--offset', [CompletionResultType]::ParameterName, 'Skip the first N matching keys')
            [CompletionResult]::new('--deleted', '--deleted', [CompletionResultType]::ParameterName, 'Also list deleted and replaced records')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'A table: index, value size, value offset, state, key')
            [CompletionResult]::new('--long', '--long', [CompletionResultType]::ParameterName, 'A table: index, value size, value offset, state, key')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'JSON Lines objects: index, key, len, offset, state')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--no-sync', '--no-sync', [CompletionResultType]::ParameterName, 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another writer to release the store instead of failing with exit code 5')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mmstore;locate' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON object: key, file, offset, len')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--no-sync', '--no-sync', [CompletionResultType]::ParameterName, 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another writer to release the store instead of failing with exit code 5')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mmstore;rm' {
            [CompletionResult]::new('--index', '--index', [CompletionResultType]::ParameterName, 'Delete the N-th live record (0-based; negative counts from the end); repeatable. Every N refers to the store as it was before this command')
            [CompletionResult]::new('--keys-from', '--keys-from', [CompletionResultType]::ParameterName, 'Delete every key in this file (one a line; ''-'' for stdin)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Delete every live record')
            [CompletionResult]::new('--missing-ok', '--missing-ok', [CompletionResultType]::ParameterName, 'Ignore keys that are not in the store instead of failing (exit 1) and removing nothing')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--no-sync', '--no-sync', [CompletionResultType]::ParameterName, 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another writer to release the store instead of failing with exit code 5')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mmstore;export-json' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write to this file (atomically: a temporary file renamed into place) instead of stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write to this file (atomically: a temporary file renamed into place) instead of stdout')
            [CompletionResult]::new('--prefix', '--prefix', [CompletionResultType]::ParameterName, 'Only keys starting with this')
            [CompletionResult]::new('--array', '--array', [CompletionResultType]::ParameterName, 'Write one JSON array instead of JSON Lines')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--no-sync', '--no-sync', [CompletionResultType]::ParameterName, 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another writer to release the store instead of failing with exit code 5')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mmstore;info' {
            [CompletionResult]::new('--threshold', '--threshold', [CompletionResultType]::ParameterName, 'Recommend a vacuum when at least this fraction of the record bytes is dead')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON object')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--no-sync', '--no-sync', [CompletionResultType]::ParameterName, 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another writer to release the store instead of failing with exit code 5')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mmstore;physical-size' {
            [CompletionResult]::new('--bytes', '--bytes', [CompletionResultType]::ParameterName, 'Print the exact number of bytes')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON object: files (name to bytes), total, allocated')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--no-sync', '--no-sync', [CompletionResultType]::ParameterName, 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another writer to release the store instead of failing with exit code 5')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mmstore;vacuum' {
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Report what would be reclaimed; change nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON object: before, after, reclaimed (bytes)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--no-sync', '--no-sync', [CompletionResultType]::ParameterName, 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another writer to release the store instead of failing with exit code 5')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mmstore;check' {
            [CompletionResult]::new('--max-errors', '--max-errors', [CompletionResultType]::ParameterName, 'Stop after N problems')
            [CompletionResult]::new('--quick', '--quick', [CompletionResultType]::ParameterName, 'Structure only: skip the body checksums')
            [CompletionResult]::new('--repair', '--repair', [CompletionResultType]::ParameterName, 'Drop an uncommitted tail, rewrite a damaged header slot, rebuild the index and counts')
            [CompletionResult]::new('--drop-corrupt', '--drop-corrupt', [CompletionResultType]::ParameterName, 'With --repair: write a new generation without the records that fail their checksum')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON object: ok, problems [{file, offset, key, what}], notes')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--no-sync', '--no-sync', [CompletionResultType]::ParameterName, 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another writer to release the store instead of failing with exit code 5')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mmstore;bench' {
            [CompletionResult]::new('--size', '--size', [CompletionResultType]::ParameterName, 'Size of the bench file: a byte count with an optional unit, B, KiB, MiB, GiB, TiB (powers of 1024) or KB, MB, GB, TB (powers of 1000); at least 64KiB')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Directory for the bench file, on the filesystem to measure [default: the system temp dir]')
            [CompletionResult]::new('--repeat', '--repeat', [CompletionResultType]::ParameterName, 'Runs of each operation each way; the median is reported, with the min and max')
            [CompletionResult]::new('--ops', '--ops', [CompletionResultType]::ParameterName, 'Random 4 KiB reads and updates per run [default: one per 4 KiB of the file, at most 16384]')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed of the file''s bytes and of the random offsets (the same seed, the same work)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Instead of the file benchmark: random gets of existing keys of STORE, through the store''s map (a real `get`: index probe, entry, value) and through pread of the same value offsets (--ops keys, default 10000)')
            [CompletionResult]::new('--cold', '--cold', [CompletionResultType]::ParameterName, 'Cold cache: before each run, sync the file and evict its pages from the page cache with posix_fadvise(POSIX_FADV_DONTNEED), so reads come from the disk')
            [CompletionResult]::new('--advise', '--advise', [CompletionResultType]::ParameterName, 'Also run the mmap way with madvise hints (MADV_SEQUENTIAL for scans and the sequential write, MADV_RANDOM for random access) and report the difference they make')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print every number as one JSON object on stdout instead of the table: machine, params, results [{op, way, seconds, bytes_per_s, p50_us, p99_us, ratio_vs_buffered, ...}], summary')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--no-sync', '--no-sync', [CompletionResultType]::ParameterName, 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another writer to release the store instead of failing with exit code 5')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mmstore;import-dam' {
            [CompletionResult]::new('--key-length', '--key-length', [CompletionResultType]::ParameterName, 'Key length of the header rows, in UTF-32 code units')
            [CompletionResult]::new('--on-duplicate', '--on-duplicate', [CompletionResultType]::ParameterName, 'What to do when a key is already in the store (or earlier in the same input)')
            [CompletionResult]::new('--create', '--create', [CompletionResultType]::ParameterName, 'Create the store first if it does not exist')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--no-sync', '--no-sync', [CompletionResultType]::ParameterName, 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another writer to release the store instead of failing with exit code 5')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mmstore;completions' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--no-sync', '--no-sync', [CompletionResultType]::ParameterName, 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another writer to release the store instead of failing with exit code 5')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mmstore;generate' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars and no summaries on stderr (errors are still printed)')
            [CompletionResult]::new('--no-sync', '--no-sync', [CompletionResultType]::ParameterName, 'Skip fsync: faster, but a crash or power loss may lose or damage recent writes')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another writer to release the store instead of failing with exit code 5')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mmstore;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Make a new, empty store')
            [CompletionResult]::new('append', 'append', [CompletionResultType]::ParameterValue, 'Append one record, or many from JSON Lines')
            [CompletionResult]::new('import-csv', 'import-csv', [CompletionResultType]::ParameterValue, 'Import CSV rows as JSON object records')
            [CompletionResult]::new('import-json', 'import-json', [CompletionResultType]::ParameterValue, 'Restore records from export-json output (JSON Lines or --array)')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Print the value of one key (raw bytes), or envelopes for several')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List keys in append order')
            [CompletionResult]::new('locate', 'locate', [CompletionResultType]::ParameterValue, 'Print the body file, byte offset and length of a value (valid until the next vacuum)')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Delete records (tombstones; vacuum reclaims the bytes)')
            [CompletionResult]::new('export-json', 'export-json', [CompletionResultType]::ParameterValue, 'Export live records as JSON Lines envelopes (or one JSON array)')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Show format, generation, record counts, live and dead bytes, and file sizes')
            [CompletionResult]::new('physical-size', 'physical-size', [CompletionResultType]::ParameterValue, 'Print the size of all the store''s files (apparent size)')
            [CompletionResult]::new('vacuum', 'vacuum', [CompletionResultType]::ParameterValue, 'Rewrite the live records into a new generation and reclaim the rest')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Verify the header, every entry, every checksum and the index')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Measure mmap against buffered and positional I/O on this machine')
            [CompletionResult]::new('import-dam', 'import-dam', [CompletionResultType]::ParameterValue, 'Import a Jina DocumentArrayMemmap folder (header.bin + body.bin)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the completion script for a shell')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write completions/ and man/ into DIR')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mmstore;help;create' {
            break
        }
        'mmstore;help;append' {
            break
        }
        'mmstore;help;import-csv' {
            break
        }
        'mmstore;help;import-json' {
            break
        }
        'mmstore;help;get' {
            break
        }
        'mmstore;help;ls' {
            break
        }
        'mmstore;help;locate' {
            break
        }
        'mmstore;help;rm' {
            break
        }
        'mmstore;help;export-json' {
            break
        }
        'mmstore;help;info' {
            break
        }
        'mmstore;help;physical-size' {
            break
        }
        'mmstore;help;vacuum' {
            break
        }
        'mmstore;help;check' {
            break
        }
        'mmstore;help;bench' {
            break
        }
        'mmstore;help;import-dam' {
            break
        }
        'mmstore;help;completions' {
            break
        }
        'mmstore;help;generate' {
            break
        }
        'mmstore;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
