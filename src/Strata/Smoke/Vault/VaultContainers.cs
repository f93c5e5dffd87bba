using Strata.Engine;

namespace Strata.Smoke;

/// <summary>
/// The fastest runtimes: a container of the image itself, privileged, else near-privileged (all capabilities
/// but SYS_RESOURCE, seccomp and AppArmor unconfined, the loop, misc and device-mapper devices allowed) for
/// engines that refuse --privileged. A container is used only if <c>vault preflight</c> passes in it (the
/// host kernel has device-mapper and dm-crypt). Every container carries <see cref="VaultMachine.ContainerLabel"/>
/// and is removed whatever happens.
/// </summary>
internal static class VaultContainers
{
    private enum Kind { Privileged, NearPrivileged }

    /// <summary>True when the scenario ran in a container (whatever its verdict); else the reasons are in <paramref name="passedOver"/>.</summary>
    public static async Task<bool> TryRunAsync(IContainerRuntime containers, VaultRun run, VaultRunOutput output, List<RuntimeUnavailable> passedOver,
        CancellationToken ct)
    {
        var (binds, error) = await GuestBindsAsync(containers, run, ct);
        if (binds is null)
        {
            passedOver.Add(new RuntimeUnavailable("container", error, $"give a vault override for a user of {run.ImageRef} that has a vault"));
            return false;
        }
        foreach (var kind in new[] { Kind.Privileged, Kind.NearPrivileged })
        {
            if (await TryAsync(containers, run, kind, binds, output, ct) is not { } unavailable) return true;
            passedOver.Add(unavailable);
        }
        return false;
    }

    /// <summary>
    /// The guest files at /strata-smoke, and the override over the user's vault (where its link resolves
    /// in the image); null, with the reason, when the image has no vault of that user to override.
    /// </summary>
    private static async Task<(List<string>? Binds, string Error)> GuestBindsAsync(IContainerRuntime containers, VaultRun run, CancellationToken ct)
    {
        var binds = VaultMachine.GuestFiles.Select(f => $"{Path.GetFullPath(Path.Combine(run.ScenarioDirectory, f))}:/strata-smoke/{f}:ro").ToList();
        if (run.VaultOverride is not { } vault) return (binds, "");
        var where = await containers.RunContainerAsync(new ContainerOptions { User = "0", ReplaceEntrypoint = true }, run.ImageRef,
            ["sh", "-c", "readlink -f \"$(getent passwd \"$1\" | cut -d: -f6)/.local/bin/vault\"", "sh", run.User], ct);
        if (where.ExitCode != 0 || where.StdOut.Trim().Length == 0)
            return (null, $"cannot find the vault of {run.User} in {run.ImageRef} to override it: {where.StdErr.Trim()}");
        binds.Add($"{Path.GetFullPath(vault)}:{where.StdOut.Trim()}:ro");
        return (binds, "");
    }

    /// <summary>Null when the scenario ran in such a container (whatever its verdict); else why this kind cannot run it here.</summary>
    private static async Task<RuntimeUnavailable?> TryAsync(IContainerRuntime containers, VaultRun run, Kind kind, List<string> binds,
        VaultRunOutput output, CancellationToken ct)
    {
        var options = kind == Kind.Privileged
            ? new ContainerOptions { Privileged = true }
            : new ContainerOptions
            {
                CapAdd = ["ALL"], CapDrop = ["SYS_RESOURCE"],
                SecurityOptions = ["seccomp=unconfined", "apparmor=unconfined"],
                DeviceCgroupRules = ["b 7:* rmw", "c 10:* rmw", .. DeviceMapperMajor() is { } dm ? [$"b {dm}:* rmw"] : Array.Empty<string>()],
            };
        options = options with
        {
            User = "0", ReplaceEntrypoint = true, Binds = binds,
            Labels = new Dictionary<string, string> { [VaultMachine.ContainerLabel] = run.ImageRef.ToString() },
        };
        var name = $"strata-vault-{Environment.ProcessId}-{kind.ToString().ToLowerInvariant()}-{Guid.NewGuid():N}"[..60];
        string container;
        try
        {
            container = await containers.StartContainerAsync(name, run.ImageRef, options, ["sleep", "infinity"], ct);
        }
        catch (EngineException e)
        {
            await containers.RemoveContainerAsync(name, CancellationToken.None);
            return kind == Kind.Privileged
                ? new RuntimeUnavailable(Name(kind), $"refused by the engine: {e.Message}", "an engine that allows --privileged (rootful Docker on an ordinary host)")
                : new RuntimeUnavailable(Name(kind), $"refused by the engine: {e.Message}", "an engine that allows added capabilities and device rules");
        }
        try
        {
            var preflight = await containers.ExecAsync(container, run.User, ["sh", "-c", "cd && \"$HOME/.local/bin/vault\" preflight"], ct);
            if (preflight.ExitCode != 0)
                return new RuntimeUnavailable(Name(kind),
                    "started, but the vault cannot work in it (vault preflight): " + (preflight.StdErr + preflight.StdOut).Trim().ReplaceLineEndings(" / "),
                    "run on a host whose kernel has device-mapper and dm-crypt (modprobe dm_mod dm_crypt), e.g. GitHub's hosted runners");
            output.Line($"{ScenarioCheck.RuntimePrefix} {Describe(kind)}");
            var result = await containers.ExecAsync(container, "root", ["/strata-smoke/scenario.sh", run.User], ct,
                [.. run.Only is { } only ? [$"VAULT_CHECKS={only}"] : Array.Empty<string>(), .. run.Alone ? ["VAULT_CHECKS_ALONE=1"] : Array.Empty<string>()],
                output.Line);
            foreach (var line in result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries)) output.Note(line.TrimEnd('\r'));
            output.ExitCode = result.ExitCode;
            return null;
        }
        finally
        {
            await containers.RemoveContainerAsync(container, CancellationToken.None);
        }
    }

    private static string Name(Kind kind) => kind == Kind.Privileged ? "privileged container" : "near-privileged container";

    private static string Describe(Kind kind) => kind == Kind.Privileged
        ? "privileged container"
        : "near-privileged container (all capabilities but SYS_RESOURCE, seccomp/apparmor unconfined, loop+dm device rules)";

    /// <summary>The host's device-mapper block major (/proc/devices), so a near-privileged container may open /dev/dm-*.</summary>
    private static string? DeviceMapperMajor()
    {
        try
        {
            return File.ReadLines("/proc/devices").Select(l => l.Trim().Split(' ', 2))
                .FirstOrDefault(p => p.Length == 2 && p[1] == "device-mapper")?[0];
        }
        catch (IOException)
        {
            return null;
        }
    }
}
