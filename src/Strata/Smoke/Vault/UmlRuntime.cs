using System.Text;
using Strata.IO;

namespace Strata.Smoke;

/// <summary>
/// User-Mode Linux: smoke/vault/uml.sh boots linux.uml on the exported image (hostfs root). x86-64 only,
/// and not on every x86 CPU: on Intel Sapphire Rapids hosts linux.uml crashes at init with SIGSEGV
/// ("Attempted to kill init! exitcode=0x0000000b"), whatever the init. So a cheap probe boot (a few
/// seconds) comes first: a crash there passes the runtime over and is never reported as a vault failure.
/// <para>
/// A crash is a kernel panic on the console or linux.uml killed by a signal: a property of the CPU, so it
/// is final. A boot that ends (exit 0) before its init ran without either, as one can under load ("zswap:
/// pool creation failed" as its last line, where an idle machine boots the same root), is a starved boot,
/// not a crash: it is tried again, up to <see cref="ProbeBoots"/> boots, a pause between them. One that
/// does not finish within <see cref="ProbeLimit"/> (a few seconds even at a load average of 36 on 2 cores)
/// is not retried: another minute would not tell more. Either passes the runtime over for a reason that
/// may not last, and says so.
/// </para>
/// </summary>
internal sealed class UmlRuntime : IVaultRuntime
{
    public const string Script = "uml.sh";
    private const string ProbeMarker = "@@STRATA-UML-PROBE@@ init runs";
    internal static readonly TimeSpan ProbeLimit = TimeSpan.FromSeconds(60);
    internal const int ProbeBoots = 3;
    // Whether linux.uml runs is a property of this host's CPU and kernel: a probe that passed is not repeated
    // in this process (a run proves several images). A failed one is, as it may have been a passing fault.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> Probed = new();

    public string Name => "User-Mode Linux";

    /// <summary>The pause before probe boot <paramref name="next"/> (2, 3): a starved machine gets a moment.</summary>
    internal static TimeSpan PauseBefore(int next) => TimeSpan.FromSeconds(2 * (next - 1));

    public async Task<RuntimeUnavailable?> ProbeAsync(GuestRoot root, VaultRun run, VaultRunOutput output, CancellationToken ct)
    {
        if (GuestArchitecture.Host != GuestArchitecture.Amd64)
            return Unavailable($"it runs on x86-64 hosts only (this one is {System.Runtime.InteropServices.RuntimeInformation.OSArchitecture})", "the virtual-machine runtime");
        if (root.Architecture != GuestArchitecture.Amd64)
            return Unavailable($"it runs x86-64 images only (this one's programs are {root.Architecture?.ToString() ?? "of an unknown architecture"})", "the virtual-machine runtime");
        if (Executables.Find("linux.uml", run.SearchPath) is not { } uml)
            return Unavailable("linux.uml is not installed", "apt-get install user-mode-linux");
        if (Probed.ContainsKey(uml))
        {
            output.Note("User-Mode Linux passed its probe boot earlier in this run");
            return null;
        }

        // The probe's init: the image's own /bin/sh, as the real run's init; it powers the guest off.
        var init = Path.Combine(root.Path, "strata-uml-probe");
        await File.WriteAllTextAsync(init, $"#!/bin/sh\nmount -t proc proc /proc\necho '{ProbeMarker}'\necho o >/proc/sysrq-trigger\nsleep 10\n", ct);
        File.SetUnixFileMode(init, (UnixFileMode)0b111_101_101);
        try
        {
            for (var boot = 1; ; boot++)
            {
                var probe = await BootAsync(uml, root, run, ct);
                if (probe.InitRan)
                {
                    Probed[uml] = true;
                    output.Note($"User-Mode Linux passed its probe boot (init ran{(boot > 1 ? $", at boot {boot} of {ProbeBoots}" : "")})");
                    return null;
                }
                if (probe.Crashed)
                    return Unavailable($"linux.uml crashed at a probe boot before its init ran ({probe.End}; console: {probe.Why})",
                        "a host whose CPU runs User-Mode Linux (it crashes at init on some, e.g. Intel Sapphire Rapids), or the virtual-machine runtime");
                if (probe.TimedOut)
                    return Unavailable($"linux.uml did not reach its init within {ProbeLimit.TotalSeconds:0} s at a probe boot, and did not crash ({probe.End}; console: {probe.Why}): " +
                                       "a slow or starved boot (a loaded machine?), not a CPU it cannot run on", FixForNow) with { Transient = true };
                if (boot == ProbeBoots)
                    return Unavailable($"linux.uml ended before its init ran at {ProbeBoots} probe boots, without a crash ({probe.End}, no panic; console: {probe.Why}): " +
                                       "a starved boot (a loaded machine?), not a CPU it cannot run on", FixForNow) with { Transient = true };
                output.Note($"User-Mode Linux ended before its init ran at probe boot {boot} of {ProbeBoots} ({probe.End}, no panic; console: {probe.Why}): " +
                            "not a crash, a starved boot; trying again");
                await Task.Delay(PauseBefore(boot + 1), ct);
            }
        }
        finally
        {
            File.Delete(init);
        }
    }

    private const string FixForNow = "run again when the machine is less loaded (or force it: --vault-runtime=uml)";

    /// <summary>What one probe boot showed: its init ran, or how it ended and its console's telling line.</summary>
    private sealed record ProbeBoot(bool InitRan, bool Crashed, bool TimedOut, string End, string Why);

    private static async Task<ProbeBoot> BootAsync(string uml, GuestRoot root, VaultRun run, CancellationToken ct)
    {
        var console = new StringBuilder();
        var seen = false;
        var panicked = false;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(ProbeLimit);
        void OnLine(string line)
        {
            lock (console)
            {
                console.AppendLine(line);
                if (line.Contains(ProbeMarker, StringComparison.Ordinal)) seen = true;
                // A panicking UML may hang instead of exiting: the panic is the answer, stop it.
                if (line.Contains("Kernel panic", StringComparison.Ordinal)) { panicked = true; limit.CancelAfter(TimeSpan.FromSeconds(1)); }
            }
        }
        int? exit = null;
        try
        {
            exit = await ChildProcess.RunAsync(uml, ["mem=64M", "rootfstype=hostfs", $"hostfs={root.Path}", "ro", "init=/strata-uml-probe", "quiet",
                "con=null", "con0=fd:0,fd:1"], OnLine, OnLine, limit.Token, Environment(run));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // its limit, or a panic: the console says which
        }
        var lines = console.ToString().Split('\n').Select(l => l.Trim()).ToList();
        var why = lines.LastOrDefault(l => l.Contains("panic", StringComparison.OrdinalIgnoreCase)) ?? lines.LastOrDefault(l => l.Length > 0) ?? "no output";
        var signal = exit is > 128 and < 160 ? exit - 128 : null;
        var end = exit switch
        {
            null when panicked => "stopped after its panic",
            null => $"stopped after it did not power off (limit {ProbeLimit.TotalSeconds:0} s)",
            _ when signal is not null => $"killed by signal {signal}",
            _ => $"exit {exit}",
        };
        return new ProbeBoot(seen, Crashed: panicked || signal is not null, TimedOut: exit is null && !panicked, end, why);
    }

    public async Task RunAsync(GuestRoot root, VaultRun run, TimeSpan left, VaultRunOutput output, CancellationToken ct)
    {
        // uml.sh gets a little less than what is left, so it can time out, report and clean up by itself.
        var args = new List<string> { "--user", run.User, "--timeout", VaultMachine.ScriptSeconds(left), "--root", root.Path };
        if (run.Only is { } only) args.AddRange(["--only", only]);
        if (run.Alone) args.Add("--alone");
        if (run.VaultOverride is { } vault) args.AddRange(["--vault-override", Path.GetFullPath(vault)]);
        if (run.Bench) args.Add("--bench");
        // Its own temp files go into this run's folder too, so nothing of the run outlives it.
        // SIGTERM first when the run is stopped: uml.sh's own cleanup kills linux.uml's process group.
        var script = Path.Combine(run.ScenarioDirectory, Script);
        output.ExitCode = await ChildProcess.RunAsync(script, args, output.Line, output.Note, ct,
            new Dictionary<string, string>(Environment(run)) { ["TMPDIR"] = root.Folder }, stopGrace: VaultMachine.StopGrace,
            workingDirectory: Path.GetDirectoryName(Path.GetFullPath(script)));
    }

    private RuntimeUnavailable Unavailable(string why, string fix) => new(Name, why, fix);

    internal static IReadOnlyDictionary<string, string> Environment(VaultRun run) => run.SearchPath is { } path
        ? new Dictionary<string, string> { ["PATH"] = path }
        : new Dictionary<string, string>();
}
