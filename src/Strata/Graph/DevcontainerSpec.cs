namespace Strata.Graph;

/// <summary>
/// An image's <c>devcontainer:</c> section of strata.yaml: what dev-container tools (VS Code, the
/// devcontainer CLI, DevPod) should know to run it. It becomes one entry of the published image's
/// <c>devcontainer.metadata</c> label (see <see cref="Images.DevcontainerMetadata"/>); children add
/// their own entry after their ancestors', and the tools merge the entries as the spec says.
/// </summary>
/// <param name="RemoteUser">The user tools connect as (null: not said here).</param>
/// <param name="ContainerUser">The user the container runs as (null: not said here).</param>
/// <param name="Init">Run an init process as PID 1 (reaps zombies); null: not said here.</param>
/// <param name="ContainerEnv">Variables every process in the container sees, tmux and non-login shells included.</param>
/// <param name="HostMounts">
/// Host folders to bind read-only into the container. Declared, not applied: a bind mount in the label
/// makes every `devcontainer up` fail on a host without the folder (Docker refuses a missing bind source,
/// and the spec has no optional mount), so a config that names only the image must work without them;
/// the example devcontainer.json opts in by carrying them as its own mounts (after creating the folders).
/// </param>
/// <param name="VaultRunArgs">
/// The run arguments the vault needs (dm-crypt: --privileged or its equivalent). Declared, not applied:
/// the spec merges <c>privileged</c> and <c>capAdd</c> as "true if any" and "union", so a user could
/// never take them back from the image; the example devcontainer.json carries them as runArgs instead.
/// </param>
public sealed record DevcontainerSpec(
    string? RemoteUser,
    string? ContainerUser,
    bool? Init,
    IReadOnlyDictionary<string, string> ContainerEnv,
    IReadOnlyList<HostMount> HostMounts,
    IReadOnlyList<string> VaultRunArgs);

/// <summary>A host folder bound read-only into the container. <paramref name="Source"/> may use devcontainer variables (${localEnv:HOME}).</summary>
public sealed record HostMount(string Source, string Target)
{
    /// <summary>The spec's string form (docker --mount syntax), as a devcontainer.json's "mounts" carries it.</summary>
    public override string ToString() => $"source={Source},target={Target},type=bind,readonly";
}
