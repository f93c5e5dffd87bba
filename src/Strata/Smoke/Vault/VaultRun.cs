namespace Strata.Smoke;

/// <summary>Where the vault scenario may run: it needs a kernel with loop, device-mapper and dm-crypt.</summary>
public enum VaultRuntime
{
    /// <summary>What works here, fastest first: a container, a KVM virtual machine, User-Mode Linux, an emulated virtual machine.</summary>
    Auto,
    /// <summary>A container only (privileged, else near-privileged); fails where neither can run the vault.</summary>
    Container,
    /// <summary>A QEMU virtual machine only: KVM where /dev/kvm works, else full emulation (TCG).</summary>
    Vm,
    /// <summary>User-Mode Linux only (where the host kernel has no device-mapper and linux.uml runs on the CPU).</summary>
    Uml,
}

/// <summary>One run of the vault scenario (the scripts of <paramref name="ScenarioDirectory"/>, usually smoke/vault) on an image.</summary>
/// <param name="User">The vault user: the smoke spec's user.</param>
/// <param name="Timeout">The whole run, export and cleanup included.</param>
public sealed record VaultRun(Oci.ImageReference ImageRef, string User, string ScenarioDirectory, TimeSpan Timeout)
{
    public VaultRuntime Runtime { get; init; } = VaultRuntime.Auto;
    /// <summary>
    /// An extended regex: only the checks whose name matches run, each after its set-up (the checks that make the state it
    /// needs, marked "[set-up]"): a fast loop; the verdict says "filtered".
    /// </summary>
    public string? Only { get; init; }
    /// <summary>Each selected check alone: the machine reset to its start state, the check's set-up, the check (the scenario's self-test).</summary>
    public bool Alone { get; init; }
    /// <summary>A vault script that replaces the image's inside the machine under test only (negative tests).</summary>
    public string? VaultOverride { get; init; }
    /// <summary>Count the scenario's processes and sudo calls (User-Mode Linux and virtual machines).</summary>
    public bool Bench { get; init; }
    /// <summary>Where the run's temp folder (the guest's root, the VM's disk) goes.</summary>
    public string TempRoot { get; init; } = Path.GetTempPath();
    /// <summary>Where the virtual machine's guest kernels are kept (fetched once from Debian's archive).</summary>
    public string KernelCache { get; init; } = DefaultKernelCache();
    /// <summary>The PATH in which linux.uml, QEMU and mke2fs are looked up and run; null: this process's (tests put stand-ins first).</summary>
    public string? SearchPath { get; init; }

    /// <summary>The KVM device QEMU is given; tests point it at a missing path to stand in for a host without KVM.</summary>
    public string KvmDevice { get; init; } = "/dev/kvm";

    /// <summary>XDG_CACHE_HOME/strata/vm-kernels, or ~/.cache/strata/vm-kernels (the default --cache-dir's).</summary>
    public static string DefaultKernelCache() => Path.Combine(
        Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
        "strata", "vm-kernels");
}

/// <summary>
/// What a vault run printed. <see cref="StdOut"/> is the contract <see cref="ScenarioCheck"/> reads: a
/// "# runtime: ..." line, one "# passed over: ..." line per faster runtime that could not run, the
/// scenario's TAP lines and its verdict line.
/// </summary>
/// <param name="TimedOut">The run's limit passed before the scenario ended; it was stopped, and StdOut holds what came before.</param>
public sealed record ScenarioOutput(int ExitCode, string StdOut, string StdErr, bool TimedOut);

/// <summary>A runtime that cannot run the vault here: why, and what would make it work.</summary>
public sealed record RuntimeUnavailable(string Runtime, string Why, string Fix)
{
    /// <summary>The reason may not last (a loaded machine): a later run may use this runtime. Said wherever it is reported.</summary>
    public bool Transient { get; init; }

    /// <summary>Why, and whether that may not last.</summary>
    public string Reason => Transient ? $"{Why}; this may not last: a later run may use it" : Why;

    public override string ToString() => $"{Runtime}: {Reason} (fix: {Fix})";
}
