using System.Text;
using System.Text.RegularExpressions;
using Strata.Engine;
using Strata.Oci;

namespace Strata.Smoke;

/// <summary>What a check needs while it runs: the engine's images and containers, the one container of the image, and the image's facts.</summary>
public sealed class SmokeContext
{
    internal SmokeContext(IImageStore images, IContainerRuntime containers, string container, string image, ImageReference imageRef, string user,
        IReadOnlyDictionary<string, string> labels, SmokeOptions options, Action<string>? log = null)
    {
        Log = log ?? (_ => { });
        Images = images;
        Containers = containers;
        Container = container;
        Image = image;
        ImageRef = imageRef;
        User = user;
        Labels = labels;
        Options = options;
    }

    /// <summary>Where the vault scenario finds the image to export.</summary>
    public IImageStore Images { get; }
    public IContainerRuntime Containers { get; }
    public string Container { get; }
    public string Image { get; }
    public ImageReference ImageRef { get; }
    /// <summary>The spec's user: the default for every check that runs a command.</summary>
    public string User { get; }
    public IReadOnlyDictionary<string, string> Labels { get; }
    public SmokeOptions Options { get; }
    /// <summary>Progress of a long check as it comes (the results are logged by the suite when the check ends).</summary>
    public Action<string> Log { get; }

    /// <summary>Runs a shell command in the container: <c>sh -c</c>, or a bash login shell when <paramref name="login"/>.</summary>
    public Task<ExecResult> ShellAsync(string user, string script, bool login, CancellationToken ct, params string[] args) =>
        Containers.ExecAsync(Container, user, login ? ["bash", "-lc", script, "bash", .. args] : ["sh", "-c", script, "sh", .. args], ct);
}

/// <summary>The outcome of one check.</summary>
/// <param name="Origin">Where the check comes from: "base.smoke.yaml:12", or "generated".</param>
public sealed record CheckResult(string Image, string Name, CheckKind Kind, bool Passed, string Message, string Origin, TimeSpan Duration)
{
    public const string Generated = "generated";

    /// <summary>For a scenario's own result: the runtime line the script printed (null when it printed none).</summary>
    public string? ScenarioRuntime { get; init; }
}

/// <summary>What a check looks at; its lower-case name is the JUnit class.</summary>
public enum CheckKind { Command, File, Env, Label, Tool, Secrets, Image, Vault, Engine }

/// <summary>One smoke check. Names are unique per image: a child's check replaces its parent's check of the same name.</summary>
public abstract record SmokeCheck(string Name, string Origin)
{
    /// <summary>How long a check may take unless its kind says otherwise.</summary>
    public static readonly TimeSpan DefaultTimeLimit = TimeSpan.FromMinutes(3);

    public abstract CheckKind Kind { get; }

    /// <summary>How long the check may run before it fails as timed out.</summary>
    public virtual TimeSpan TimeLimit => DefaultTimeLimit;

    /// <summary>Runs the check; most checks give one result, a scenario gives one per step.</summary>
    public abstract Task<IReadOnlyList<CheckResult>> RunAsync(SmokeContext context, CancellationToken ct);

    protected CheckResult Pass(SmokeContext c, string message = "") => new(c.Image, Name, Kind, true, message, Origin, TimeSpan.Zero);

    protected CheckResult Fail(SmokeContext c, string message) => new(c.Image, Name, Kind, false, message, Origin, TimeSpan.Zero);

    /// <summary>At most a few lines of output, on one line: enough to see why without flooding the log.</summary>
    internal static string Excerpt(string text, int maxLines = 4, int maxChars = 300)
    {
        var lines = text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0) return "(empty)";
        var shown = string.Join(" | ", lines.Take(maxLines)) + (lines.Length > maxLines ? $" | ... ({lines.Length - maxLines} more lines)" : "");
        return shown.Length <= maxChars ? shown : shown[..maxChars] + "...";
    }
}

/// <summary>Patterns an output must match (every one) and must not match (any). Patterns are multi-line regexes.</summary>
/// <summary>A command check's expectations on one platform; null: the check's own.</summary>
public sealed record PlatformExpectation(int? ExitCode, OutputRules? Stdout, OutputRules? Stderr);

public sealed record OutputRules(IReadOnlyList<Regex> Match, IReadOnlyList<Regex> NoMatch, bool Empty)
{
    public static OutputRules None { get; } = new([], [], false);

    internal void Check(string stream, string text, List<string> problems)
    {
        if (Empty && text.Trim().Length > 0)
            problems.Add($"{stream} must be empty but was: {SmokeCheck.Excerpt(text)}");
        foreach (var regex in Match.Where(r => !r.IsMatch(text)))
            problems.Add($"{stream} does not match /{regex}/; {stream}: {SmokeCheck.Excerpt(text)}");
        foreach (var regex in NoMatch)
            if (regex.Match(text) is { Success: true } m)
                problems.Add($"{stream} matches forbidden /{regex}/ at '{SmokeCheck.Excerpt(m.Value, 1, 120)}'");
    }
}

/// <summary>Runs a command as a user and checks its exit code, stdout and stderr.</summary>
public sealed record CommandCheck(string Name, string Origin, string Run, string? User, bool Login, int ExitCode,
    OutputRules Stdout, OutputRules Stderr) : SmokeCheck(Name, Origin)
{
    public override CheckKind Kind => CheckKind.Command;

    /// <summary>What differs on a platform where the output legitimately does (<c>uname -m</c>); resolved by <see cref="On"/> before a run.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyDictionary<Oci.Platform, PlatformExpectation> ByPlatform { get; init; } = new Dictionary<Oci.Platform, PlatformExpectation>();

    /// <summary>The check as it runs in an image of <paramref name="platform"/>: that platform's expectations in place of the defaults.</summary>
    public CommandCheck On(Oci.Platform? platform) =>
        platform is not null && ByPlatform.TryGetValue(platform, out var e)
            ? this with { ExitCode = e.ExitCode ?? ExitCode, Stdout = e.Stdout ?? Stdout, Stderr = e.Stderr ?? Stderr, ByPlatform = new Dictionary<Oci.Platform, PlatformExpectation>() }
            : this with { ByPlatform = new Dictionary<Oci.Platform, PlatformExpectation>() };

    public override async Task<IReadOnlyList<CheckResult>> RunAsync(SmokeContext c, CancellationToken ct)
    {
        var result = await c.ShellAsync(User ?? c.User, Run, Login, ct);
        var problems = new List<string>();
        if (result.ExitCode != ExitCode)
        {
            var detail = result.StdErr.Trim().Length > 0 ? result.StdErr : result.StdOut;
            problems.Add($"exit code {result.ExitCode}, expected {ExitCode}; output: {Excerpt(detail)}");
        }
        Stdout.Check("stdout", result.StdOut, problems);
        Stderr.Check("stderr", result.StdErr, problems);
        return [problems.Count == 0 ? Pass(c) : Fail(c, string.Join("; ", problems))];
    }
}

/// <summary>A path that must exist (with a type, owner, group and mode) or must not exist. "~/" is the spec user's home.</summary>
public sealed record FileCheck(string Name, string Origin, string Path, bool Exists, string? Type, string? Owner,
    string? Group, int? Mode) : SmokeCheck(Name, Origin)
{
    public override CheckKind Kind => CheckKind.File;

    public static readonly IReadOnlyList<string> Types = ["file", "directory", "symlink"];

    // Runs as root (it can stat anything); prints "absent PATH" or "TYPE|OWNER|GROUP|MODE|PATH".
    private const string Script = """
        p=$1
        case $p in "~/"*) h=$(getent passwd "$2" | cut -d: -f6); p="$h/${p#"~/"}" ;; esac
        if [ ! -e "$p" ] && [ ! -L "$p" ]; then echo "absent $p"; exit 0; fi
        stat -c '%F|%U|%G|%a|%n' -- "$p"
        """;

    public override async Task<IReadOnlyList<CheckResult>> RunAsync(SmokeContext c, CancellationToken ct)
    {
        var result = await c.ShellAsync("root", Script, login: false, ct, Path, c.User);
        var line = result.StdOut.Trim();
        if (result.ExitCode != 0 || line.Length == 0)
            return [Fail(c, $"could not stat {Path}: exit {result.ExitCode}: {Excerpt(result.StdErr)}")];
        if (line.StartsWith("absent ", StringComparison.Ordinal))
            return [Exists ? Fail(c, $"{line[7..]} does not exist") : Pass(c)];
        var parts = line.Split('|', 5);
        if (!Exists) return [Fail(c, $"{parts[4]} exists ({parts[0]}) but must not")];

        var problems = new List<string>();
        var type = parts[0] switch
        {
            "regular file" or "regular empty file" => "file",
            "directory" => "directory",
            "symbolic link" => "symlink",
            var other => other,
        };
        if (Type is not null && type != Type) problems.Add($"is a {type}, expected a {Type}");
        if (Owner is not null && parts[1] != Owner) problems.Add($"owner is {parts[1]}, expected {Owner}");
        if (Group is not null && parts[2] != Group) problems.Add($"group is {parts[2]}, expected {Group}");
        var mode = Convert.ToInt32(parts[3], 8);
        if (Mode is { } m && mode != m)
            problems.Add($"mode is {Convert.ToString(mode, 8).PadLeft(4, '0')}, expected {Convert.ToString(m, 8).PadLeft(4, '0')}");
        return [problems.Count == 0 ? Pass(c) : Fail(c, $"{parts[4]}: {string.Join("; ", problems)}")];
    }
}

/// <summary>An environment variable as a command run as the user sees it (in a login shell when <see cref="Login"/>).</summary>
public sealed record EnvCheck(string Name, string Origin, string Variable, string? Value, Regex? Pattern, bool Login, string? User)
    : SmokeCheck(Name, Origin)
{
    public override CheckKind Kind => CheckKind.Env;

    public override async Task<IReadOnlyList<CheckResult>> RunAsync(SmokeContext c, CancellationToken ct)
    {
        var result = await c.ShellAsync(User ?? c.User, "env -0", Login, ct);
        if (result.ExitCode != 0)
            return [Fail(c, $"env failed with exit {result.ExitCode}: {Excerpt(result.StdErr)}")];
        var values = result.StdOut.Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.Split('=', 2))
            .Where(kv => kv.Length == 2)
            .GroupBy(kv => kv[0]).ToDictionary(g => g.Key, g => g.Last()[1]);
        if (!values.TryGetValue(Variable, out var actual))
            return [Fail(c, $"{Variable} is not set")];
        if (Value is not null && actual != Value)
            return [Fail(c, $"{Variable} is '{actual}', expected '{Value}'")];
        if (Pattern is not null && !Pattern.IsMatch(actual))
            return [Fail(c, $"{Variable} is '{actual}', which does not match /{Pattern}/")];
        return [Pass(c)];
    }
}

/// <summary>An image label, from the image's configuration.</summary>
public sealed record LabelCheck(string Name, string Origin, string Label, string? Value, Regex? Pattern) : SmokeCheck(Name, Origin)
{
    public override CheckKind Kind => CheckKind.Label;

    public override Task<IReadOnlyList<CheckResult>> RunAsync(SmokeContext c, CancellationToken ct)
    {
        IReadOnlyList<CheckResult> result =
        [
            !c.Labels.TryGetValue(Label, out var actual) ? Fail(c, $"label {Label} is not set")
            : Value is not null && actual != Value ? Fail(c, $"label {Label} is '{actual}', expected '{Value}'")
            : Pattern is not null && !Pattern.IsMatch(actual) ? Fail(c, $"label {Label} is '{actual}', which does not match /{Pattern}/")
            : Pass(c),
        ];
        return Task.FromResult(result);
    }
}

/// <summary>A pinned tool reports its locked version: the stdout of its version command contains it.</summary>
public sealed record ToolVersionCheck(string Name, string Origin, string Tool, string Command, string Version) : SmokeCheck(Name, Origin)
{
    public override CheckKind Kind => CheckKind.Tool;

    public override async Task<IReadOnlyList<CheckResult>> RunAsync(SmokeContext c, CancellationToken ct)
    {
        var result = await c.ShellAsync(c.User, Command, login: false, ct);
        if (result.ExitCode != 0)
            return [Fail(c, $"'{Command}' failed with exit {result.ExitCode}: {Excerpt(result.StdErr + result.StdOut)}")];
        return [result.StdOut.Contains(Version, StringComparison.Ordinal)
            ? Pass(c)
            : Fail(c, $"'{Command}' printed '{Excerpt(result.StdOut, 2)}', which does not contain the locked version {Version}")];
    }
}

/// <summary>
/// The image starts with its own command, as people run it (<c>docker run -it IMAGE</c>): a fresh
/// container with no command and no terminal must exit 0. An image without a CMD fails here
/// ("No command specified"), and so does a default shell that errors on start-up.
/// </summary>
public sealed record DefaultCommandCheck(string Name, string Origin) : SmokeCheck(Name, Origin)
{
    public override CheckKind Kind => CheckKind.Image;

    public override async Task<IReadOnlyList<CheckResult>> RunAsync(SmokeContext c, CancellationToken ct)
    {
        ExecResult result;
        try
        {
            result = await c.Containers.RunContainerAsync(new ContainerOptions
            {
                Network = c.Options.Network,
                Labels = new Dictionary<string, string> { ["dev.strata.smoke"] = c.Image },
            }, c.ImageRef, [], ct);
        }
        catch (EngineException e) when (e is not EngineUnavailableException)
        {
            // The engine refuses to create a container with neither entrypoint nor command.
            result = new ExecResult(-1, "", e.Message);
        }
        return [result.ExitCode == 0
            ? Pass(c)
            : Fail(c, $"`docker run {c.ImageRef}` (no command) exited {result.ExitCode}: {Excerpt(result.StdErr + result.StdOut)}. " +
                "Give the image a CMD (Dockerfiles/Dockerfile.base declares a login shell).")];
    }
}

/// <summary>A check that fails without running anything, for a problem found while planning (e.g. a tool that is not pinned).</summary>
public sealed record FailedCheck(string Name, string Origin, CheckKind FailedKind, string Reason) : SmokeCheck(Name, Origin)
{
    public override CheckKind Kind => FailedKind;

    public override Task<IReadOnlyList<CheckResult>> RunAsync(SmokeContext c, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<CheckResult>>([Fail(c, Reason)]);
}

/// <summary>A kind of secret and the POSIX extended regex that finds it.</summary>
public sealed record SecretPattern(string Kind, string ExtendedRegex);

/// <summary>
/// Nothing secret in the image: greps the text files under the scanned folders (inside the
/// container, as root) for the secret patterns. Pruned paths (public certificate bundles) are skipped.
/// </summary>
public sealed record SecretScanCheck(string Name, string Origin, IReadOnlyList<string> Paths, IReadOnlyList<string> Prune,
    IReadOnlyList<SecretPattern> Patterns) : SmokeCheck(Name, Origin)
{
    public override CheckKind Kind => CheckKind.Secrets;

    internal string Script()
    {
        var prune = Prune.Count == 0 ? "" : $"\\( {string.Join(" -o ", Prune.Select(p => "-path " + Quote(p)))} \\) -prune -o ";
        var all = string.Join(" ", Patterns.Select(p => "-e " + Quote(p.ExtendedRegex)));
        var text = new StringBuilder();
        text.Append($"find {string.Join(" ", Paths.Select(Quote))} {prune}-type f -print0 2>/dev/null")
            .Append($" | xargs -0 -r grep -IlE {all} -- 2>/dev/null")
            .Append(" | while IFS= read -r f; do\n");
        foreach (var p in Patterns)
            text.Append($"  grep -qE -e {Quote(p.ExtendedRegex)} -- \"$f\" && printf '%s|%s\\n' {Quote(p.Kind)} \"$f\"\n");
        text.Append("done\nexit 0\n");
        return text.ToString();
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    public override async Task<IReadOnlyList<CheckResult>> RunAsync(SmokeContext c, CancellationToken ct)
    {
        var result = await c.ShellAsync("root", Script(), login: false, ct);
        if (result.ExitCode != 0)
            return [Fail(c, $"the scan failed with exit {result.ExitCode}: {Excerpt(result.StdErr)}")];
        var found = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split('|', 2)).Where(p => p.Length == 2).ToList();
        if (found.Count == 0) return [Pass(c)];
        var listed = string.Join(", ", found.Take(10).Select(p => $"{p[0]} in {p[1]}"));
        return [Fail(c, $"{found.Count} secret(s) found: {listed}{(found.Count > 10 ? ", ..." : "")}")];
    }
}
