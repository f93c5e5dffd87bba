using System.Text.RegularExpressions;

namespace Strata.Engine;

/// <summary>
/// Reads a docker build's output, whichever builder printed it: the current step ("3/7"), the
/// engine's error line, and the last lines for an error message. Classic builder: "Step 3/7 : RUN ..."
/// and "The command '...' returned a non-zero code: 42". BuildKit (plain progress):
/// "#7 [3/7] RUN ...", "#7 ERROR: ..." and a closing "error: failed to solve: ..." (buildx: "ERROR: ...").
/// Steps served from the cache: classic "Step 3/7 : RUN ..." then " ---> Using cache"; BuildKit "#7 CACHED".
/// </summary>
public sealed partial class BuildOutput
{
    private const int TailLines = 20;
    private readonly Queue<string> _tail = new();
    // BuildKit: the instruction of each numbered step seen ("#7" -> "RUN"), and the cached ones counted.
    private readonly Dictionary<string, string> _instructions = [];
    private readonly HashSet<string> _cached = [];
    // Classic: the instruction of the step running.
    private string? _classicInstruction;
    private int _classicCached;

    /// <summary>The step running or last run, "n/m" (null before the first).</summary>
    public string? Step { get; private set; }
    /// <summary>The engine's error line (BuildKit: the failing step's own; classic: the non-zero code line).</summary>
    public string? Error { get; private set; }
    /// <summary>The error says no engine answered.</summary>
    public bool Unreachable { get; private set; }
    public IReadOnlyCollection<string> Tail => _tail;

    /// <summary>
    /// The RUN, COPY and ADD steps the builder's cache served. Only those: a FROM, the build context and
    /// metadata steps (ENV, LABEL...) are "cached" in every build, cold or not, and say nothing.
    /// </summary>
    public int CachedSteps => _classicCached + _cached.Count;

    /// <summary>Takes one line; returns it without terminal colour codes.</summary>
    public string Add(string raw)
    {
        var line = Ansi().Replace(raw, "");
        _tail.Enqueue(line);
        if (_tail.Count > TailLines) _tail.Dequeue();

        if (ClassicStep().Match(line) is { Success: true } c)
        {
            Step = c.Groups[1].Value;
            _classicInstruction = c.Groups[2].Value;
        }
        else if (BuildKitStep().Match(line) is { Success: true } b)
        {
            Step = b.Groups[2].Value;
            _instructions[b.Groups[1].Value] = b.Groups[3].Value;
        }
        else if (line.Trim() == "---> Using cache" && FillsLayer(_classicInstruction)) _classicCached++;
        else if (BuildKitCached().Match(line) is { Success: true } k && FillsLayer(_instructions.GetValueOrDefault(k.Groups[1].Value)))
            _cached.Add(k.Groups[1].Value);

        if (BuildKitError().Match(line) is { Success: true } e) Error = e.Groups[1].Value.Trim();
        else if (ClassicError().IsMatch(line)) Error = line.Trim();
        else if (ClosingError().Match(line) is { Success: true } f) Error ??= f.Groups[1].Value.Trim();

        if (line.Contains("Cannot connect to the Docker daemon", StringComparison.Ordinal) ||
            line.Contains("Is the docker daemon running", StringComparison.Ordinal))
        {
            Unreachable = true;
            Error = line.Trim();
        }
        return line;
    }

    private static bool FillsLayer(string? instruction) =>
        instruction?.ToUpperInvariant() is "RUN" or "COPY" or "ADD";

    [GeneratedRegex(@"\x1b\[[0-9;]*m")]
    private static partial Regex Ansi();

    [GeneratedRegex(@"^Step (\d+/\d+) : (\w+)")]
    private static partial Regex ClassicStep();

    // "#7 [3/7] RUN ..." (the build stage's steps; "[internal]" lines are not steps).
    [GeneratedRegex(@"^#(\d+) \[(?:[\w.-]+ )?(\d+/\d+)\] (\w+)")]
    private static partial Regex BuildKitStep();

    [GeneratedRegex(@"^#(\d+) CACHED\s*$")]
    private static partial Regex BuildKitCached();

    [GeneratedRegex(@"^#\d+ ERROR: (.+)$")]
    private static partial Regex BuildKitError();

    [GeneratedRegex(@"^The command '.*' returned a non-zero code: \d+")]
    private static partial Regex ClassicError();

    // The client's closing line: "error: failed to solve: ..." (20.10), "ERROR: failed to ..." (buildx), "failed to solve ...".
    [GeneratedRegex(@"^(?:error: |ERROR: )?((?:failed to |executor failed ).+)$")]
    private static partial Regex ClosingError();
}
