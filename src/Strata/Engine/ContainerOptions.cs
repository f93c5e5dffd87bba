namespace Strata.Engine;

/// <summary>How a container runs: the few knobs Strata uses.</summary>
public sealed record ContainerOptions
{
    /// <summary>null: the engine's default network.</summary>
    public string? Network { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    /// <summary>Bind mounts as "host:container[:ro]".</summary>
    public IReadOnlyList<string> Binds { get; init; } = [];
    /// <summary>null: the image's user.</summary>
    public string? User { get; init; }
    public bool Tty { get; init; }
    /// <summary>The command's first word replaces the image's entrypoint (an imported image has neither entrypoint nor command).</summary>
    public bool ReplaceEntrypoint { get; init; }
    /// <summary>docker run --privileged (the vault scenario needs loop and device-mapper devices).</summary>
    public bool Privileged { get; init; }
    public IReadOnlyList<string> CapAdd { get; init; } = [];
    public IReadOnlyList<string> CapDrop { get; init; } = [];
    /// <summary>As --security-opt: "seccomp=unconfined", "apparmor=unconfined".</summary>
    public IReadOnlyList<string> SecurityOptions { get; init; } = [];
    /// <summary>As --device-cgroup-rule: "b 7:* rmw".</summary>
    public IReadOnlyList<string> DeviceCgroupRules { get; init; } = [];
}
