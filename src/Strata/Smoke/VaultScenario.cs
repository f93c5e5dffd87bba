using System.Text.Json;
using Strata.IO;
using Strata.Keys;

namespace Strata.Smoke;

/// <summary>
/// The vault scenario (the scripts of <paramref name="Directory"/>, usually smoke/vault), run on a machine that
/// <see cref="VaultMachine"/> picks. Its contract, on stdout:
/// <code>
/// # passed over: &lt;a faster runtime&gt;: &lt;why it could not run here&gt;   (zero or more)
/// # runtime: &lt;how it ran, e.g. "user-mode-linux 6.1 (...)"&gt;
/// ok - &lt;name&gt;
/// not ok - &lt;name&gt;: &lt;reason&gt;
/// ok - [set-up] &lt;name&gt;          (a filtered run: a check that ran only to make the state a selected one needs)
/// # vault scenario: PASS|FAIL (...)
/// </code>
/// Every TAP line becomes a check of its own. The verdict is the scenario harness's (smoke/vault/tap.sh);
/// this side only refuses an incomplete stream: no runtime line, no TAP line, no verdict line (the
/// scenario did not finish), or a missing scenario all FAIL. A scenario is never silently skipped.
/// <para>
/// Proof reuse: with a <paramref name="ProofDirectory"/>, the check first fingerprints the image (smoke/vault/fingerprint.sh,
/// run in the smoke container: every file and package the vault and its gate execute, and the image's
/// environment). An image whose fingerprint, together with the scenario's own files, was proven before (its
/// parent, usually) reuses that proof instead of running the scenario again, and every result says so.
/// </para>
/// </summary>
/// <param name="Timeout">The whole scenario, cleanup included (the run stops itself then; see <see cref="VaultMachine"/>).</param>
public sealed record ScenarioCheck(string Name, string Origin, string Directory, TimeSpan Timeout,
    // Where passes are remembered and which machine runs the scenario decide nothing about a pass: kept out of smoke proof keys.
    [property: System.Text.Json.Serialization.JsonIgnore] string? ProofDirectory = null,
    [property: System.Text.Json.Serialization.JsonIgnore] VaultRuntime Runtime = VaultRuntime.Auto)
    : SmokeCheck(Name, Origin)
{
    public const string RuntimePrefix = "# runtime:";
    public const string VerdictPrefix = "# vault scenario:";
    public const string FingerprintScript = "fingerprint.sh";

    public override CheckKind Kind => CheckKind.Vault;

    // The run's own limit (Timeout) reports the output so far; this one is only the backstop.
    public override TimeSpan TimeLimit => Timeout + TimeSpan.FromSeconds(30) + VaultMachine.StopGrace;

    public override async Task<IReadOnlyList<CheckResult>> RunAsync(SmokeContext c, CancellationToken ct)
    {
        if (!System.IO.Directory.Exists(Directory))
            return [Fail(c, $"the vault scenario folder {Directory} does not exist")];

        string? proofKey = null;
        var fingerprintNote = "";
        if (ProofDirectory is not null)
        {
            var (key, error) = await ProofKeyAsync(c, ct);
            proofKey = key;
            if (key is null) fingerprintNote = $"; no proof reuse: {error}";
            else if (VaultProof.Load(ProofDirectory, key) is { } proof) return Replay(c, proof, key);
        }

        // Minutes under User-Mode Linux: its lines are shown as they come; the results follow when it ends.
        var run = await c.Options.RunVault(c.Docker, new VaultRun(c.ImageRef, c.User, Directory, Timeout) { Runtime = Runtime },
            line => c.Log($"[{c.Image}]      vault | {line}"), ct);
        if (run.TimedOut)
            return [Fail(c, $"the vault scenario did not finish within {Timeout.TotalSeconds:0} s (stopped); output so far: {Excerpt(run.StdOut + run.StdErr)}")];
        var (runtime, results) = Parse(c, run.StdOut, run.StdErr, run.ExitCode);
        if (proofKey is not null && results.All(r => r.Passed))
            VaultProof.Save(ProofDirectory!, proofKey, new VaultProof(c.Image, c.ImageRef, runtime!, run.StdOut));
        if (fingerprintNote.Length > 0)
            results = [results[0] with { Message = results[0].Message + fingerprintNote }, .. results.Skip(1)];
        return results;
    }

    /// <summary>The runtime line and one result per TAP line, plus a first result for the stream as a whole.</summary>
    internal (string? Runtime, IReadOnlyList<CheckResult> Results) Parse(SmokeContext c, string stdout, string stderr, int exitCode)
    {
        var tap = ScenarioTap.Read(stdout, exitCode);
        var results = tap.Steps.Select(step => Step(c, step.SetUp ? $"{step.Name} (set-up)" : step.Name, step.Passed, step.Reason)).ToList();
        // Which runtime proved the image, and why each faster one could not (the JUnit report's system-out).
        var why = tap.PassedOver.Count == 0 ? "" : $"; passed over: {string.Join("; ", tap.PassedOver)}";
        var contract = tap.Problems.Count == 0
            ? Pass(c, $"runtime: {tap.Runtime}; {tap.Verdict}{why}")
            : Fail(c, $"the vault scenario {string.Join("; ", tap.Problems)} (exit {exitCode}); stdout: {Excerpt(stdout)}; stderr: {Excerpt(stderr)}");
        results.Insert(0, contract with { ScenarioRuntime = tap.Runtime });
        return (tap.Runtime, results);
    }

    private IReadOnlyList<CheckResult> Replay(SmokeContext c, VaultProof proof, string key)
    {
        var from = $"reused the vault proof of image '{proof.Image}' ({proof.ImageRef}): same vault fingerprint {key[..12]}";
        var (_, results) = Parse(c, proof.Output, "", 0);
        return [.. results.Select((r, i) => i == 0
            ? r with { Message = $"{from}; {r.Message}", ScenarioRuntime = $"{proof.Runtime} (reused from {proof.Image})" }
            : r with { Message = string.IsNullOrEmpty(r.Message) ? from : $"{r.Message} ({from})" })];
    }

    /// <summary>
    /// The key of the vault's proof for this image: its fingerprint (computed inside the container) and
    /// every file of the scenario's folder. Null, with the reason, when the fingerprint cannot be taken.
    /// </summary>
    internal async Task<(string? Key, string Error)> ProofKeyAsync(SmokeContext c, CancellationToken ct)
    {
        var dir = Directory;
        var script = Path.Combine(dir, FingerprintScript);
        if (!File.Exists(script)) return (null, $"{script} does not exist");
        var result = await c.ShellAsync("root", await File.ReadAllTextAsync(script, ct), login: false, ct, c.User);
        if (result.ExitCode != 0 || result.StdOut.Trim().Length == 0)
            return (null, $"the fingerprint failed (exit {result.ExitCode}): {Excerpt(result.StdErr)}");
        using var key = new KeyBuilder().Add("vault-fingerprint", result.StdOut).Add("vault-user", c.User);
        foreach (var file in System.IO.Directory.GetFiles(dir).Order(StringComparer.Ordinal))
            key.AddFileContent("scenario." + Path.GetFileName(file), file);
        return (key.Finish(), "");
    }

    private CheckResult Step(SmokeContext c, string step, bool passed, string message) =>
        new(c.Image, $"{Name}: {step}", Kind, passed, message, Origin, TimeSpan.Zero);
}

/// <summary>A passed vault scenario, kept under its proof key (see <see cref="ScenarioCheck.ProofKeyAsync"/>).</summary>
/// <param name="Output">The run's stdout: the runtime line, the TAP lines and the verdict.</param>
public sealed record VaultProof(string Image, string ImageRef, string Runtime, string Output)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static VaultProof? Load(string directory, string key)
    {
        var path = Path.Combine(directory, key + ".json");
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<VaultProof>(File.ReadAllText(path), Json);
        }
        catch (JsonException)
        {
            return null; // a damaged proof proves nothing: run the scenario again
        }
    }

    public static void Save(string directory, string key, VaultProof proof) =>
        AtomicFile.WriteAllText(Path.Combine(directory, key + ".json"), JsonSerializer.Serialize(proof, Json));
}

/// <summary>
/// The strict reading of a vault scenario's stdout, the contract between the shell and Strata: a
/// "# runtime: ..." line, TAP lines ("ok - NAME", "not ok - NAME: REASON"; a name that starts with
/// "[set-up] " is a check that ran as set-up of a selected one, in a filtered run) and the verdict line. An
/// incomplete stream is a list of problems, never a pass. The one reader of a scenario's verdict.
/// </summary>
/// <param name="PassedOver">"RUNTIME: WHY" for each faster runtime that could not run it here.</param>
public sealed record ScenarioTap(string? Runtime, string? Verdict, IReadOnlyList<ScenarioTap.TapStep> Steps, IReadOnlyList<string> PassedOver,
    IReadOnlyList<string> Problems)
{
    /// <param name="SetUp">It ran only to make the state a selected check needs (a filtered run: "ok - [set-up] NAME").</param>
    public sealed record TapStep(string Name, bool Passed, string Reason, bool SetUp = false);

    /// <summary>The mark of a set-up step's name (smoke/vault/tap.sh).</summary>
    public const string SetUpMarker = "[set-up] ";

    /// <summary>A complete stream whose verdict is PASS and whose every step passed.</summary>
    public bool Passed => Problems.Count == 0 && Verdict!.StartsWith("PASS", StringComparison.Ordinal) && Steps.All(s => s.Passed);

    public static ScenarioTap Read(string stdout, int exitCode)
    {
        string? runtime = null, verdict = null;
        var steps = new List<TapStep>();
        var passedOver = new List<string>();
        foreach (var raw in stdout.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (runtime is null && line.StartsWith(ScenarioCheck.RuntimePrefix, StringComparison.Ordinal))
                runtime = line[ScenarioCheck.RuntimePrefix.Length..].Trim();
            else if (line.StartsWith(VaultRunOutput.PassedOverPrefix, StringComparison.Ordinal))
                passedOver.Add(line[VaultRunOutput.PassedOverPrefix.Length..].Trim());
            else if (line.StartsWith(ScenarioCheck.VerdictPrefix, StringComparison.Ordinal))
                verdict = line[ScenarioCheck.VerdictPrefix.Length..].Trim();
            else if (line.StartsWith("ok - ", StringComparison.Ordinal))
                steps.Add(Step(line[5..].Trim(), true, ""));
            else if (line.StartsWith("not ok - ", StringComparison.Ordinal))
            {
                var rest = line[9..];
                var colon = rest.IndexOf(": ", StringComparison.Ordinal);
                steps.Add(colon < 0 ? Step(rest.Trim(), false, "failed (no reason given)") : Step(rest[..colon].Trim(), false, rest[(colon + 2)..].Trim()));
            }
        }

        var problems = new List<string>();
        if (string.IsNullOrEmpty(runtime)) problems.Add($"printed no '{ScenarioCheck.RuntimePrefix} ...' line");
        if (steps.Count == 0) problems.Add("printed no 'ok - NAME' / 'not ok - NAME: REASON' lines");
        if (verdict is null) problems.Add($"printed no '{ScenarioCheck.VerdictPrefix} PASS|FAIL' line (the scenario did not finish)");
        else if (verdict.StartsWith("PASS", StringComparison.Ordinal) && exitCode != 0) problems.Add($"exited {exitCode} after a PASS verdict");
        return new ScenarioTap(runtime, verdict, steps, passedOver, problems);
    }

    private static TapStep Step(string name, bool passed, string reason) => name.StartsWith(SetUpMarker, StringComparison.Ordinal)
        ? new TapStep(name[SetUpMarker.Length..].Trim(), passed, reason, SetUp: true)
        : new TapStep(name, passed, reason);
}
