// The text of `pushback --help` (a module of its own, so that --help loads
// nothing else). Its "Stages:" section is what the processes' manifests say,
// in alphabetical order (see bin/stages.ts; test/cli/stages.test.ts checks it).
export const USAGE = `Usage: pushback [OPTION]... [FILE]... [STAGE]...

Reads the FILEs one after the other (standard input without FILEs or with "-",
the built-in sample log with --sample), splits them into lines and sends the
lines through the STAGEs; every record that comes out is printed on a line of
its own (text as it is, other values as JSON). A line that goes through
unchanged comes out as the exact bytes that came in, UTF-8 or not.

Stages:
  count                  the number of records
  drop N                 all but the first N records
  fields [-d SEP] [LIST] split on white space (space, tab, newline, as awk does)
                         or on SEP (escapes as in tr: -d '\\t' is a tab); with
                         LIST (numbers and ranges from 1: 2  1,3  2-4  5-) keep
                         those fields, joined by SEP or a space; a missing
                         field is empty, as in awk
  filter EXPR            keep the records for which the JavaScript EXPR is
                         true: a function such as 'x => x.length > 80' or an
                         expression in x such as 'x.length > 80'
  grep [-vixwcF] PATTERN keep the records that match a JavaScript regular
                         expression (plain text matches as it is); /RE/FLAGS
                         adds JavaScript flags (d i m s u v); -F a fixed
                         string, -e PATTERN one more pattern (or one that starts
                         with "-"; so does -- PATTERN), -v those that do not
                         match, -i ignore case, -x whole line, -w whole word,
                         -c count them. grep never runs code: see filter
  jsonl                  parse each record as JSON; a bad line is reported on
                         stderr with its line number and skipped (see --strict).
                         Before filter 'x.f === "s"' only lines holding "s"
                         (or an escape) are parsed; a bad one of the others is
                         not reported
  lines                  split into lines ("\\n" or "\\r\\n"); implied before the
                         first record stage
  map EXPR               replace each record x by EXPR (as for filter), e.g.
                         'l => l.slice(0, 80)' or 'x.toUpperCase()'
  sum                    the sum of the records as numbers (see Numbers)
  take N                 the first N records, then stop reading
  tr SET1 SET2           translate bytes like GNU tr: ranges (a-z), escapes
                         (\\n \\t \\\\ \\NNN octal), classes ([:lower:] [:digit:]
                         ...); before any record stage
  uniq                   drop a record equal to the one just before it (the
                         same bytes; JSON values by value)
  upper, lower           ASCII upper or lower case (other bytes unchanged)

Numbers: sum reads a record as JavaScript's Number() does once white space is
trimmed (12, -3.5, 1e3, 0x1f); an empty or other record is an error that names
the record (or, with --on-error=skip, a warning). Sums are 64-bit floating
point and printed as JavaScript prints them: 0.1 + 0.2 gives
0.30000000000000004 (awk prints 0.3).

Options:
  --explain              print the fused loops of each flow path and exit
  --graph FILE           write a picture of the pipeline to FILE (.svg or .dot)
                         when it ends
  --inspect[=PORT]       serve a live, read-only page about the pipeline on
                         127.0.0.1 while it runs (a free port by default; its
                         URL, with its access token, goes to standard error)
  --progress             show bytes, records/s and ETA on stderr when it is a
                         terminal (the default when the input size is known
                         and standard output is not that terminal)
  --no-progress          never show progress
  --sample[=LINES]       read a generated sample log (10000 lines by default)
  -j N, --jobs N         cut a regular FILE into parts at line ends and run
                         them on N threads, with the same output as one thread
                         (1 by default); standard input, pipes, several FILEs
                         and stages that need the whole stream (drop; uniq or
                         take not last) run on one thread, with a note
  --on-error POLICY      when an expression throws or a number cannot be read:
                         abort (the default), skip (report and drop the
                         record) or retry:N; also --on-error=POLICY
  --strict               a bad JSON line aborts instead of being skipped
  --checkpoint FILE      write a snapshot of the running pipeline to FILE
                         every 10 seconds (--every 500ms, 2m, ...); standard
                         output must be a file, whose committed length the
                         snapshot records
  --resume FILE          go on from the checkpoint FILE, with standard output
                         appended to the same file (>> out.txt): it is cut to
                         the committed length first
  -h, --help             show this help

Exit status: 0 on success (also when the output is closed early, as by
\`| head -1\`), 2 on any error (a bad stage or expression, an unreadable file,
an expression that throws, a record that is not a number).

Example:
  pushback --sample grep /ERROR/ map 'l => l.slice(0, 60)' take 5
`;
