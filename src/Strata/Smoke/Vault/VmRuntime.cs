using System.Text;
using Strata.IO;

namespace Strata.Smoke;

/// <summary>
/// A QEMU virtual machine: an ext4 root disk made of the exported image (mke2fs -d, no loop device, no mount), on
/// which QEMU boots Debian's cloud kernel (fetched once by vm-kernel.sh) with guest-init as its init
/// (<see cref="GuestMachine"/> runs it and reads its console). With
/// <see cref="Accelerated"/>, KVM (seconds; only where /dev/kvm opens and the image is of the host's
/// architecture); else TCG, full emulation (minutes; any host, any of amd64 and arm64).
/// </summary>
internal sealed class VmRuntime(bool accelerated) : IVaultRuntime
{
    public const string KernelScript = "vm-kernel.sh";
    private const string RootMount = "Unable to mount root fs";

    private GuestKernel? _kernel;
    // A KVM that booted the guest kernel once is trusted for the rest of this process (a run proves several
    // images); a failed probe is repeated, as it may have been a passing fault.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> KvmBooted = new();

    public bool Accelerated { get; } = accelerated;

    public string Name => Accelerated ? "KVM virtual machine" : "emulated virtual machine (TCG)";

    public async Task<RuntimeUnavailable?> ProbeAsync(GuestRoot root, VaultRun run, VaultRunOutput output, CancellationToken ct)
    {
        if (root.Architecture is not { } arch)
            return Unavailable("the image's /bin/sh is not an x86-64 or arm64 program, so there is no guest kernel for it", "an amd64 or arm64 image");
        if (Accelerated)
        {
            if (arch != GuestArchitecture.Host)
                return Unavailable($"KVM runs the host's architecture only ({GuestArchitecture.Host?.ToString() ?? "unknown"}; the image is {arch})",
                    $"run on an {arch} host with KVM");
            if (KvmProblem(run.KvmDevice) is { } problem)
                return Unavailable(problem, "enable KVM: a host with virtualisation on (nested virtualisation for a VM), the kvm_intel or kvm_amd module, and read-write access to /dev/kvm");
        }
        var (qemu, package) = arch == GuestArchitecture.Arm64 ? ("qemu-system-aarch64", "qemu-system-arm") : ("qemu-system-x86_64", "qemu-system-x86");
        if (Executables.Find(qemu, run.SearchPath) is null)
            return Unavailable($"{qemu} is not installed", $"apt-get install {package}");
        if (Executables.Find("mke2fs", run.SearchPath, ["/usr/sbin", "/sbin"]) is null)
            return Unavailable("mke2fs is not installed (it makes the root disk)", "apt-get install e2fsprogs");

        (_kernel, var error) = await KernelAsync(arch, run, output, ct);
        if (_kernel is null) return Unavailable(error, "apt-get update on a host that reaches a Debian archive");
        return Accelerated ? await ProbeKvmAsync(arch, run, output, ct) : null;
    }

    /// <summary>
    /// A /dev/kvm that opens is not a KVM that runs guests: on some nested hosts QEMU aborts at the first
    /// vCPU ("failed to set MSR 0x10a") or the guest hangs. A probe boots the kernel alone, with the machine, CPU and
    /// accelerator of a real run and no disk, until it reaches its root mount (seconds).
    /// </summary>
    private async Task<RuntimeUnavailable?> ProbeKvmAsync(GuestArchitecture arch, VaultRun run, VaultRunOutput output, CancellationToken ct)
    {
        var key = $"{run.SearchPath}|{_kernel!.Folder}";
        if (KvmBooted.ContainsKey(key))
        {
            output.Note("KVM booted the guest kernel at a probe earlier in this run");
            return null;
        }
        var line = await ProbeBootAsync(new Qemu(arch, Accelerated), run, ct);
        if (line.Booted)
        {
            KvmBooted[key] = true;
            output.Note($"KVM passed its probe boot: {line.Said}");
            return null;
        }
        return Unavailable($"/dev/kvm opens, but QEMU could not boot the guest kernel with KVM at a probe boot: {line.Said}",
            "a host whose KVM runs guests (nested virtualisation on, a QEMU that knows this CPU), or the emulated virtual machine");
    }

    /// <summary>The probe boot: no root disk, so the kernel stops at its root mount; that line is the pass, and QEMU is stopped there.</summary>
    private async Task<(bool Booted, string Said)> ProbeBootAsync(Qemu qemu, VaultRun run, CancellationToken ct)
    {
        var limit = TimeSpan.FromSeconds(int.TryParse(System.Environment.GetEnvironmentVariable("VAULT_VM_PROBE_LIMIT"), out var seconds) ? seconds : 30);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var booted = false;
        var said = new StringBuilder();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stop.CancelAfter(limit);
        try
        {
            // -no-reboot: the kernel's panic at the missing root ends QEMU, should the line be missed.
            await ChildProcess.RunAsync(qemu.Program, qemu.Arguments("256M", 1, _kernel!.Kernel, "root=/dev/strata-probe-no-disk panic=-1 loglevel=3"),
                line =>
                {
                    if (!line.Contains(RootMount, StringComparison.Ordinal)) return;
                    booted = true;
                    stop.Cancel();
                }, line => said.Append(line).Append(' '), stop.Token, GuestMachine.Environment(run), ownProcessGroup: true);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // reached its root mount, or its limit: which, the console said
        }
        var what = $"({qemu.Program}, {qemu.Accel}, {qemu.Machine})";
        var qemuSaid = said.ToString().Trim();
        if (qemuSaid.Length > 300) qemuSaid = qemuSaid[..300];
        if (booted) return (true, $"the guest kernel booted to its root mount in {clock.Elapsed.TotalSeconds:0} s {what}");
        if (clock.Elapsed >= limit)
            return (false, $"the guest kernel did not reach its root mount within {limit.TotalSeconds:0} s {what}{(qemuSaid.Length > 0 ? "; QEMU said: " + qemuSaid : "")}");
        return (false, $"QEMU stopped before the guest kernel reached its root mount {what}; QEMU said: {(qemuSaid.Length > 0 ? qemuSaid : "nothing")}");
    }

    /// <summary>vm-kernel.sh: the cached (or just fetched) guest kernel, or why there is none.</summary>
    private static async Task<(GuestKernel? Kernel, string Error)> KernelAsync(GuestArchitecture arch, VaultRun run, VaultRunOutput output, CancellationToken ct)
    {
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var script = Path.Combine(run.ScenarioDirectory, KernelScript);
        var exit = await ChildProcess.RunAsync(script, ["--arch", arch.Debian, "--cache", run.KernelCache], l => stdout.AppendLine(l), l => stderr.AppendLine(l), ct,
            GuestMachine.Environment(run));
        var folder = stdout.ToString().Trim();
        if (exit == 0 && Directory.Exists(folder))
        {
            if (GuestKernel.In(folder) is not { } kernel)
                return (null, $"the guest kernel's folder {folder} has no boot/vmlinuz-* with its lib/modules (vm-kernel.sh fetches them)");
            output.Note($"guest kernel: {folder}");
            return (kernel, "");
        }
        return (null, $"cannot get the guest kernel linux-image-cloud-{arch}: {stderr.ToString().Trim().ReplaceLineEndings(" / ")} (exit {exit})");
    }

    /// <summary>Null when /dev/kvm opens read-write (what QEMU needs); else what is wrong.</summary>
    private static string? KvmProblem(string device)
    {
        if (!File.Exists(device)) return $"no {device} on this host (no hardware virtualisation, or it is not passed through)";
        try
        {
            using var kvm = new FileStream(device, FileMode.Open, FileAccess.ReadWrite);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"{device} does not open read-write: {e.Message}";
        }
    }

    public async Task RunAsync(GuestRoot root, VaultRun run, TimeSpan left, VaultRunOutput output, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var kernel = _kernel ?? throw new InvalidOperationException("RunAsync before a successful ProbeAsync");
        var qemu = new Qemu(root.Architecture!, Accelerated);
        await GuestMachine.CopyModulesAsync(root, Path.Combine(kernel.Folder, "lib", "modules", kernel.Version), ct);
        if ((await GuestMachine.InstallScenarioAsync(root, run, ct) ?? await MakeDiskAsync(root, run, output, ct)) is { } problem)
        {
            output.CannotRun(problem);
            return;
        }

        var version = new List<string>();
        await ChildProcess.RunAsync(qemu.Program, ["--version"], version.Add, _ => { }, ct, GuestMachine.Environment(run));
        var qemuVersion = System.Text.RegularExpressions.Regex.Match(version.FirstOrDefault() ?? "", @" version (\S+)").Groups[1].Value;
        output.Line($"{ScenarioCheck.RuntimePrefix} virtual machine: {qemu.Program} {qemuVersion}, {(Accelerated ? "KVM" : "TCG (full emulation)")}, " +
                    $"{qemu.Machine}, guest kernel {Path.GetFileName(kernel.Folder)} (Debian, no initrd)");
        output.Note($"booting {qemu.Program} ({qemu.Accel}) with kernel {kernel.Version}");
        var memory = System.Environment.GetEnvironmentVariable("VAULT_VM_MEM") is { Length: > 0 } mem ? mem : "1536M";
        // No network, no display, no default devices: the serial console (stdout) and the root disk as NVMe (built into
        // Debian's cloud kernel: no initrd). The disk is a throw-away copy in the run's temp folder.
        var args = qemu.Arguments(memory, Math.Min(System.Environment.ProcessorCount, 4), kernel.Kernel,
            $"root=/dev/nvme0n1 rootfstype=ext4 rw init=/{GuestMachine.SmokeFolder}/init panic=-1 quiet");
        args.AddRange(["-drive", $"file={Disk(root)},if=none,id=root,format=raw,cache=unsafe", "-device", "nvme,drive=root,serial=strata-root"]);
        var booting = clock.Elapsed;
        var console = await GuestMachine.RunAsync(qemu.Program, args, run, GuestMachine.OwnLimit(left), clock, output, ct);
        output.ExitCode = console.Verdict(qemu.Program, console.Up is null
            ? "virtual machine booted: the guest never reached its init (a boot failure, not a vault failure; console tail above)"
            : "virtual machine run completed: no end marker on the console (the guest crashed or powered off; console tail above)");
        if (console.Ended) output.Note($"guest booted to init in {console.Up} s; scenario and power-off: {(clock.Elapsed - booting).TotalSeconds:0} s in all");
        output.Note($"VM run took {clock.Elapsed.TotalSeconds:0} s");
    }

    private static string Disk(GuestRoot root) => Path.Combine(root.Folder, "root.img");

    /// <summary>The root disk: the image plus room for the guest's writes (sparse, so a large size costs nothing). Null when made, else why not.</summary>
    private static async Task<string?> MakeDiskAsync(GuestRoot root, VaultRun run, VaultRunOutput output, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var du = new List<string>();
        await ChildProcess.RunAsync("du", ["-sm", "--apparent-size", root.Path], du.Add, _ => { }, ct);
        var size = int.Parse(du.FirstOrDefault()?.Split('\t')[0] ?? "0", System.Globalization.CultureInfo.InvariantCulture) + 1024;
        if (Executables.Find("mke2fs", run.SearchPath, ["/usr/sbin", "/sbin"]) is not { } mke2fs) return "mke2fs is not installed (apt-get install e2fsprogs)";
        var said = new List<string>();
        var exit = await ChildProcess.RunAsync(mke2fs, ["-q", "-t", "ext4", "-d", root.Path, "-F", Disk(root), $"{size}M"], said.Add, said.Add, ct);
        if (exit != 0) return $"mke2fs -d could not make the root disk: {string.Join(" ", said.TakeLast(3))}";
        output.Note($"root disk: {size} MB (sparse), made in {clock.Elapsed.TotalSeconds:0} s");
        return null;
    }

    private RuntimeUnavailable Unavailable(string why, string fix) => new(Name, why, fix);
}

/// <summary>A guest kernel fetched by vm-kernel.sh: its folder, its boot image and its version (the modules' folder name).</summary>
internal sealed record GuestKernel(string Folder, string Kernel, string Version)
{
    /// <summary>The kernel in <paramref name="folder"/> (boot/vmlinuz-VERSION with lib/modules/VERSION), or null.</summary>
    public static GuestKernel? In(string folder)
    {
        var boot = Path.Combine(folder, "boot");
        var kernel = Directory.Exists(boot) ? Directory.EnumerateFiles(boot, "vmlinuz-*").Order(StringComparer.Ordinal).FirstOrDefault() : null;
        if (kernel is null) return null;
        var version = Path.GetFileName(kernel)["vmlinuz-".Length..];
        return Directory.Exists(Path.Combine(folder, "lib", "modules", version)) ? new GuestKernel(folder, kernel, version) : null;
    }
}

/// <summary>
/// QEMU for a guest architecture, the probe's and the run's: q35 (amd64) or virt (arm64); the host's CPU under KVM, else
/// the emulated maximum (arm64: with the cheap pointer-authentication hash, much faster to emulate than QARMA).
/// </summary>
internal sealed record Qemu(GuestArchitecture Arch, bool Kvm)
{
    public string Program => Arch == GuestArchitecture.Arm64 ? "qemu-system-aarch64" : "qemu-system-x86_64";
    public string Console => Arch == GuestArchitecture.Arm64 ? "ttyAMA0" : "ttyS0";
    public string Accel => Kvm ? "kvm" : "tcg";
    private string[] MachineArguments => (Arch == GuestArchitecture.Arm64, Kvm) switch
    {
        (false, true) => ["-machine", "q35", "-cpu", "host"],
        (false, false) => ["-machine", "q35", "-cpu", "max"],
        (true, true) => ["-machine", "virt", "-cpu", "host"],
        (true, false) => ["-machine", "virt", "-cpu", "max,pauth-impdef=on"],
    };
    /// <summary>How the report names the machine ("-machine q35 -cpu host").</summary>
    public string Machine => string.Join(' ', MachineArguments);

    /// <summary>The command line: no display, no default devices, no reboot (a panic ends QEMU), the serial console on stdout.</summary>
    public List<string> Arguments(string memory, int cpus, string kernel, string append) =>
    [
        "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot", .. MachineArguments, "-accel", Kvm ? "kvm" : "tcg,thread=multi",
        "-m", memory, "-smp", cpus.ToString(System.Globalization.CultureInfo.InvariantCulture), "-kernel", kernel,
        "-append", $"console={Console} {append}", "-serial", "stdio",
    ];
}
