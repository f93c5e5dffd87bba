using System.Diagnostics;
using System.Text;

namespace Strata.Smoke;

/// <summary>
/// An external scenario script (the vault's: <c>smoke/vault/run.sh IMAGE</c>), run on the host with the
/// image reference as its only argument. Its contract, on stdout:
/// <code>
/// # runtime: &lt;how it ran, e.g. "user-mode linux 6.1 (no device-mapper on this host)"&gt;
/// ok - &lt;name&gt;
/// not ok - &lt;name&gt;: &lt;reason&gt;
/// </code>
/// and a non-zero exit when anything failed. Every TAP line becomes a check of its own. No runtime
/// line, no TAP line, a missing script or an exit code that disagrees with the lines all FAIL: a
/// scenario is never silently skipped.
/// </summary>
public sealed record ScenarioCheck(string Name, string Origin, string Script, TimeSpan Timeout) : SmokeCheck(Name, Origin)
{
    public const string RuntimePrefix = "# runtime:";

    public override CheckKind Kind => CheckKind.Vault;

    // The script's own limit (Timeout) reports the output so far; this one is only the backstop.
    public override TimeSpan TimeLimit => Timeout + TimeSpan.FromSeconds(30);

    public override async Task<IReadOnlyList<CheckResult>> RunAsync(SmokeContext c, CancellationToken ct)
    {
        if (!File.Exists(Script))
            return [Fail(c, $"the scenario script {Script} does not exist")];
        var (exitCode, stdout, stderr, timedOut) = await RunScriptAsync(Script, c.ImageRef, Timeout, ct);
        if (timedOut)
            return [Fail(c, $"{Script} did not finish within {Timeout.TotalSeconds:0} s; output so far: {Excerpt(stdout + stderr)}")];
        return Parse(c, stdout, stderr, exitCode).Results;
    }

    /// <summary>The runtime line and one result per TAP line, plus failures for every broken part of the contract.</summary>
    internal (string? Runtime, IReadOnlyList<CheckResult> Results) Parse(SmokeContext c, string stdout, string stderr, int exitCode)
    {
        string? runtime = null;
        var results = new List<CheckResult>();
        foreach (var raw in stdout.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (runtime is null && line.StartsWith(RuntimePrefix, StringComparison.Ordinal))
                runtime = line[RuntimePrefix.Length..].Trim();
            else if (line.StartsWith("ok - ", StringComparison.Ordinal))
                results.Add(Step(c, line[5..].Trim(), true, ""));
            else if (line.StartsWith("not ok - ", StringComparison.Ordinal))
            {
                var rest = line[9..];
                var colon = rest.IndexOf(": ", StringComparison.Ordinal);
                results.Add(colon < 0
                    ? Step(c, rest.Trim(), false, "failed (no reason given)")
                    : Step(c, rest[..colon].Trim(), false, rest[(colon + 2)..].Trim()));
            }
        }

        var summary = new List<string>();
        if (string.IsNullOrEmpty(runtime)) summary.Add($"printed no '{RuntimePrefix} ...' line");
        if (results.Count == 0) summary.Add("printed no 'ok - NAME' / 'not ok - NAME: REASON' lines");
        if (exitCode != 0 && results.Count > 0 && results.All(r => r.Passed))
            summary.Add($"exited {exitCode} although every step passed");
        if (exitCode == 0 && results.Any(r => !r.Passed))
            summary.Add("exited 0 although a step failed");
        var contract = summary.Count == 0
            ? Pass(c, $"runtime: {runtime}")
            : Fail(c, $"{Script} {string.Join("; ", summary)} (exit {exitCode}); stdout: {Excerpt(stdout)}; stderr: {Excerpt(stderr)}");
        results.Insert(0, contract with { ScenarioRuntime = runtime });
        return (runtime, results);
    }

    private CheckResult Step(SmokeContext c, string step, bool passed, string message) =>
        new(c.Image, $"{Name}: {step}", Kind, passed, message, Origin, TimeSpan.Zero);

    private static async Task<(int ExitCode, string StdOut, string StdErr, bool TimedOut)> RunScriptAsync(
        string script, string imageRef, TimeSpan timeout, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(script)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(script))!,
        };
        psi.ArgumentList.Add(imageRef);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {script}.");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await process.WaitForExitAsync(CancellationToken.None);
            ct.ThrowIfCancellationRequested();
            return (-1, stdout.ToString(), stderr.ToString(), true);
        }
        process.WaitForExit(); // flushes the redirected output
        return (process.ExitCode, stdout.ToString(), stderr.ToString(), false);
    }
}
