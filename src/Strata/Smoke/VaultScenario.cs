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
/// parent, usually) reuses that proof instead of running the scenario again, and every result says so. Proofs are looked up in
/// the local cache first (<paramref name="ProofDirectory"/>), then in <paramref name="SharedProofs"/> (the registry, where one is
/// configured: a vault proven on any machine is not proven again), and only a pass is kept, in both.
/// </para>
/// </summary>
/// <param name="Timeout">The whole scenario, cleanup included (the run stops itself then; see <see cref="VaultMachine"/>).</param>
public sealed record ScenarioCheck(string Name, string Origin, string Directory, TimeSpan Timeout,
    // Where passes are remembered and which machine runs the scenario decide nothing about a pass: kept out of smoke proof keys.
    [property: System.Text.Json.Serialization.JsonIgnore] string? ProofDirectory = null,
    [property: System.Text.Json.Serialization.JsonIgnore] VaultRuntime Runtime = VaultRuntime.Auto,
    [property: System.Text.Json.Serialization.JsonIgnore] IVaultProofStore? SharedProofs = null)
    : SmokeCheck(Name, Origin)
{
    public const string RuntimePrefix = "# runtime:";
    public const string VerdictPrefix = "# vault scenario:";
    public const string FingerprintScript = "fingerprint.sh";

    public override CheckKind Kind => CheckKind.Vault;

    // The run's own limit (Timeout) reports the output so far; this one is only the backstop, with time for the clean-up.
    public override TimeSpan TimeLimit => Timeout + TimeSpan.FromSeconds(60);

    public override async Task<IReadOnlyList<CheckResult>> RunAsync(SmokeContext c, CancellationToken ct)
    {
        if (!System.IO.Directory.Exists(Directory))
            return [Fail(c, $"the vault scenario folder {Directory} does not exist")];

        string? proofKey = null;
        var fingerprintNote = "";
        var proofs = Proofs;
        void Log(string line) => c.Log($"[{c.Image}] {line}");
        if (proofs is not null)
        {
            var (key, error) = await ProofKeyAsync(c, ct);
            proofKey = key;
            if (key is null) fingerprintNote = $"; no proof reuse: {error}";
            else if (await proofs.FindAsync(key, Log, ct) is { } found) return Replay(c, found.Proof, found.From, key);
        }

        // Minutes under User-Mode Linux: its lines are shown as they come; the results follow when it ends.
        var run = await c.Options.RunVault(c.Images, c.Containers, new VaultRun(c.ImageRef, c.User, Directory, Timeout) { Runtime = Runtime },
            line => c.Log($"[{c.Image}]      vault | {line}"), ct);
        if (run.TimedOut)
            return [Fail(c, $"the vault scenario did not finish within {Timeout.TotalSeconds:0} s (stopped); output so far: {Excerpt(run.StdOut + run.StdErr)}")];
        var (runtime, results) = Parse(c, run.StdOut, run.StdErr, run.ExitCode);
        if (proofKey is not null && results.All(r => r.Passed))
            await proofs!.SaveAsync(proofKey, VaultProof.Of(proofKey, c.Image, c.ImageRef.ToString(), c.Options.Platform?.ToString(), runtime!, run.StdOut), Log, ct);
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

    /// <summary>The local cache, then the shared store; null when proofs are neither kept nor reused.</summary>
    private VaultProofs? Proofs => ProofDirectory is null && SharedProofs is null ? null
        : new VaultProofs([.. ProofDirectory is null ? [] : new IVaultProofStore[] { new LocalVaultProofs(ProofDirectory) }, .. SharedProofs is null ? [] : new[] { SharedProofs }]);

    private IReadOnlyList<CheckResult> Replay(SmokeContext c, VaultProof proof, IVaultProofStore from, string key)
    {
        var when = proof.ProvenAt is { } at ? $" (proven {at.UtcDateTime:yyyy-MM-dd HH:mm} UTC)" : "";
        var reused = $"reused the vault proof of image '{proof.Image}' ({proof.ImageRef}) from {from.Where}{when}: same vault fingerprint {key[..12]}";
        c.Log($"[{c.Image}] vault scenario not run: {reused}");
        var (_, results) = Parse(c, proof.Output, "", 0);
        return [.. results.Select((r, i) => i == 0
            ? r with { Message = $"{reused}; {r.Message}", ScenarioRuntime = $"{proof.Runtime} (reused from {proof.Image} {proof.ImageRef}, found in {from.Where})" }
            : r with { Message = string.IsNullOrEmpty(r.Message) ? reused : $"{r.Message} ({reused})" })];
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
        // The platform too: package versions and paths, most of a fingerprint, are the same on amd64 and arm64.
        using var key = new KeyBuilder().Add("vault-fingerprint", result.StdOut).Add("vault-user", c.User)
            .Add("vault-platform", c.Options.Platform?.ToString() ?? "the engine's");
        foreach (var file in System.IO.Directory.GetFiles(dir).Order(StringComparer.Ordinal))
            key.AddFileContent("scenario." + Path.GetFileName(file), file);
        return (key.Finish(), "");
    }

    private CheckResult Step(SmokeContext c, string step, bool passed, string message) =>
        new(c.Image, $"{Name}: {step}", Kind, passed, message, Origin, TimeSpan.Zero);
}

/// <summary>
/// A passed vault scenario, kept under its proof key (see <see cref="ScenarioCheck.ProofKeyAsync"/>) in the local cache and, where a
/// registry is configured, in the registry (<see cref="IVaultProofStore"/>).
/// </summary>
/// <param name="Output">The run's stdout: the runtime line, the TAP lines and the verdict.</param>
public sealed record VaultProof(string Image, string ImageRef, string Runtime, string Output)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The proof key it was recorded under (null in records of before it was kept: local ones only).</summary>
    public string? Key { get; init; }
    public string? Platform { get; init; }
    /// <summary>The scenario's verdict line and the checks it ran (read from <see cref="Output"/> when recorded: for people and for the check on read).</summary>
    public string? Verdict { get; init; }
    public IReadOnlyList<string>? Checks { get; init; }
    public DateTimeOffset? ProvenAt { get; init; }

    /// <summary>The record of a passed run under <paramref name="key"/>.</summary>
    public static VaultProof Of(string key, string image, string imageRef, string? platform, string runtime, string output)
    {
        var tap = ScenarioTap.Read(output, 0);
        return new VaultProof(image, imageRef, runtime, output)
        {
            Key = key, Platform = platform, Verdict = tap.Verdict, Checks = tap.Steps.Select(s => s.Name).ToList(), ProvenAt = DateTimeOffset.UtcNow,
        };
    }

    /// <summary>
    /// Why this record does not prove the vault under <paramref name="key"/> (null: it does): another key (or none, where one is
    /// required), a run that did not pass, or a verdict that is not its output's.
    /// </summary>
    public string? Problem(string key, bool keyRequired)
    {
        if (Key is null ? keyRequired : Key != key)
            return Key is null ? "it names no proof key" : $"it names proof key {Key[..Math.Min(12, Key.Length)]}, not {key[..12]}";
        var tap = ScenarioTap.Read(Output ?? "", 0);
        if (Verdict is { } verdict && !verdict.StartsWith("PASS", StringComparison.Ordinal)) return $"it names the verdict '{verdict}'";
        if (!tap.Passed) return $"its run did not pass ({tap.Verdict ?? string.Join("; ", tap.Problems)})";
        if (Verdict is not null && Verdict != tap.Verdict) return $"its verdict '{Verdict}' is not its output's ('{tap.Verdict}')";
        return null;
    }

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>Reads a record; throws <see cref="FormatException"/> for one that does not parse.</summary>
    public static VaultProof Read(byte[] json)
    {
        try
        {
            var proof = JsonSerializer.Deserialize<VaultProof>(json, Json);
            return proof is { Image: not null, ImageRef: not null, Runtime: not null, Output: not null } ? proof
                : throw new FormatException("a vault proof record without its image, runtime or output");
        }
        catch (JsonException e)
        {
            throw new FormatException($"not a vault proof record: {e.Message}", e);
        }
    }
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
