using System.Text;
using Strata.IO;

namespace Strata.Smoke;

/// <summary>
/// User-Mode Linux: linux.uml boots on the exported image (hostfs root: no disk to make), with guest-init as its init
/// (<see cref="GuestMachine"/> runs it and reads its console). x86-64 only,
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
            exit = await ChildProcess.RunAsync(uml, BootArguments(root, "64M", "/strata-uml-probe", writable: false), OnLine, OnLine, limit.Token,
                GuestMachine.Environment(run), ownProcessGroup: true);
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

    /// <summary>linux.uml's command line, the probe's and the run's: the root is the exported image (hostfs); the console is stdin and stdout.</summary>
    private static List<string> BootArguments(GuestRoot root, string memory, string init, bool writable) =>
        [$"mem={memory}", "rootfstype=hostfs", $"hostfs={root.Path}", writable ? "rw" : "ro", $"init={init}", "quiet", "con=null", "con0=fd:0,fd:1"];

    /// <summary>The tools the vault and the scenario run, which the image must have (their packages: the vault README).</summary>
    private static readonly string[] Tools =
        ["modprobe", "cryptsetup", "dmsetup", "mkfs.ext4", "losetup", "findmnt", "setpriv", "script", "sudo", "awk", "blockdev", "unshare", "nsenter", "flock"];

    public async Task RunAsync(GuestRoot root, VaultRun run, TimeSpan left, VaultRunOutput output, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var uml = Executables.Find("linux.uml", run.SearchPath) ?? throw new InvalidOperationException("RunAsync before a successful ProbeAsync");
        var version = new List<string>();
        await ChildProcess.RunAsync(uml, ["--version"], version.Add, _ => { }, ct, GuestMachine.Environment(run));
        var kernel = string.Concat((version.LastOrDefault() ?? "").Where(c => !char.IsWhiteSpace(c)));
        var modules = Path.Combine("/usr/lib/uml/modules", kernel);
        if (kernel.Length == 0 || !Directory.Exists(modules))
        {
            output.CannotRun($"UML modules for linux.uml {kernel} not found in {modules}");
            return;
        }
        var missing = new List<string>();
        await ChildProcess.RunAsync("chroot", [root.Path, "sh", "-c", "for t; do command -v \"$t\" >/dev/null 2>&1 || echo \"$t\"; done", "sh", .. Tools],
            missing.Add, _ => { }, ct);
        if (missing.Count > 0)
        {
            output.CannotRun($"image lacks tools the vault/scenario need: {string.Join(' ', missing)} " +
                             "(packages: kmod cryptsetup-bin dmsetup e2fsprogs mount util-linux bsdutils sudo)");
            return;
        }
        await GuestMachine.CopyModulesAsync(root, modules, ct);
        if (await GuestMachine.InstallScenarioAsync(root, run, ct) is { } problem)
        {
            output.CannotRun(problem);
            return;
        }

        output.Line($"{ScenarioCheck.RuntimePrefix} user-mode-linux {kernel} (hostfs root: the image's filesystem)");
        output.Note($"booting linux.uml {kernel}");
        var memory = System.Environment.GetEnvironmentVariable("VAULT_UML_MEM") is { Length: > 0 } mem ? mem : "512M";
        var console = await GuestMachine.RunAsync(uml, BootArguments(root, memory, $"/{GuestMachine.SmokeFolder}/init", writable: true), run,
            GuestMachine.OwnLimit(left), clock, output, ct);
        output.ExitCode = console.Verdict("linux.uml", "UML run completed: no end marker on the console");
        output.Note($"UML run took {clock.Elapsed.TotalSeconds:0} s");
    }

    private RuntimeUnavailable Unavailable(string why, string fix) => new(Name, why, fix);
}
