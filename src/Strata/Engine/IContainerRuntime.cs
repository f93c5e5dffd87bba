namespace Strata.Engine;

/// <summary>The engine's containers: run, start, exec in, list and remove them.</summary>
public interface IContainerRuntime
{
    /// <summary>Starts a long-running container and returns its id. <paramref name="command"/> replaces the image's entrypoint when the options say so.</summary>
    Task<string> StartContainerAsync(string name, ImageLocator image, ContainerOptions options, IReadOnlyList<string> command, CancellationToken ct = default);

    /// <summary>Runs a container to completion (create, start, wait, logs, remove) and returns its exit code and output.</summary>
    Task<ExecResult> RunContainerAsync(ContainerOptions options, ImageLocator image, IReadOnlyList<string> command, CancellationToken ct = default);

    /// <summary>
    /// Runs a command in a running container as <paramref name="user"/>, with <paramref name="environment"/>
    /// ("NAME=value") added; never throws on its exit code. <paramref name="onStdOutLine"/> gets each stdout line as it comes.
    /// </summary>
    Task<ExecResult> ExecAsync(string container, string user, IEnumerable<string> command, CancellationToken ct = default,
        IEnumerable<string>? environment = null, Action<string>? onStdOutLine = null);

    /// <summary>Removes a container, running or not, with its anonymous volumes; one that is already gone is fine.</summary>
    Task RemoveContainerAsync(string container, CancellationToken ct = default);

    /// <summary>The ids of the containers, running or not, that carry <paramref name="label"/> ("key" or "key=value").</summary>
    Task<IReadOnlyList<string>> ListContainersAsync(string label, CancellationToken ct = default);

    /// <summary>Whether a container of that name (or id) exists, running or not.</summary>
    Task<bool> ContainerExistsAsync(string nameOrId, CancellationToken ct = default);
}
