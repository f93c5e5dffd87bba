using Docker.DotNet;
using Docker.DotNet.Models;

namespace Strata.Engine;

/// <summary>The engine's containers through the Engine API (see <see cref="IContainerRuntime"/>).</summary>
internal sealed class EngineContainers(DockerClient client) : IContainerRuntime
{
    public async Task<string> StartContainerAsync(string name, ImageLocator image, ContainerOptions options,
        IReadOnlyList<string> command, CancellationToken ct = default)
    {
        var id = await CreateAsync(name, image, options, command, ct);
        await EngineCall.RunAsync($"start container {name} of {image}", () => client.Containers.StartContainerAsync(id, new ContainerStartParameters(), ct), ct);
        return id;
    }

    public async Task<ExecResult> RunContainerAsync(ContainerOptions options, ImageLocator image, IReadOnlyList<string> command,
        CancellationToken ct = default)
    {
        var id = await CreateAsync(null, image, options, command, ct);
        try
        {
            await EngineCall.RunAsync($"start a container of {image}", () => client.Containers.StartContainerAsync(id, new ContainerStartParameters(), ct), ct);
            var exit = await EngineCall.RunAsync($"wait for the container of {image}", () => client.Containers.WaitContainerAsync(id, ct), ct);
            using var logs = await EngineCall.RunAsync($"read the logs of the container of {image}", () => client.Containers.GetContainerLogsAsync(id,
                new ContainerLogsParameters { ShowStdout = true, ShowStderr = true }, ct), ct);
            var (stdout, stderr) = await logs.ReadOutputToEndAsync(ct);
            return new ExecResult((int)exit.StatusCode, stdout, stderr);
        }
        finally
        {
            await RemoveContainerAsync(id, CancellationToken.None);
        }
    }

    private async Task<string> CreateAsync(string? name, ImageLocator image, ContainerOptions options, IReadOnlyList<string> command, CancellationToken ct)
    {
        var parameters = new CreateContainerParameters
        {
            Name = name,
            Image = image.ToString(),
            Tty = options.Tty,
            AttachStdout = true,
            AttachStderr = true,
            User = options.User ?? "",
            Labels = options.Labels.ToDictionary(),
            HostConfig = new HostConfig
            {
                NetworkMode = options.Network ?? "",
                Binds = options.Binds.ToList(),
                Privileged = options.Privileged,
                CapAdd = options.CapAdd.ToList(),
                CapDrop = options.CapDrop.ToList(),
                SecurityOpt = options.SecurityOptions.ToList(),
                DeviceCgroupRules = options.DeviceCgroupRules.ToList(),
            },
        };
        if (options.ReplaceEntrypoint && command.Count > 0)
        {
            parameters.Entrypoint = [command[0]];
            parameters.Cmd = command.Skip(1).ToList();
        }
        else if (command.Count > 0)
        {
            parameters.Cmd = command.ToList();
        }
        var created = await EngineCall.RunAsync($"create a container of {image}", () => client.Containers.CreateContainerAsync(parameters, ct), ct);
        return created.ID;
    }

    public async Task<ExecResult> ExecAsync(string container, string user, IEnumerable<string> command, CancellationToken ct = default,
        IEnumerable<string>? environment = null, Action<string>? onStdOutLine = null)
    {
        var what = $"exec in container {container}";
        var exec = await EngineCall.RunAsync(what, () => client.Exec.CreateContainerExecAsync(container,
            new ContainerExecCreateParameters
            {
                User = user, Cmd = command.ToList(), Env = environment?.ToList() ?? [], AttachStdout = true, AttachStderr = true,
            }, ct), ct);
        using var stream = await EngineCall.RunAsync(what, () => client.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters(), ct), ct);
        var output = new ExecOutput(onStdOutLine);
        var buffer = new byte[16384];
        while (await stream.ReadOutputAsync(buffer, 0, buffer.Length, ct) is { EOF: false } read)
            output.Add(read.Target == MultiplexedStream.TargetStream.StandardOut, buffer.AsSpan(0, read.Count));
        output.Complete();
        // The output ends as the process exits; its exit code may take a moment more.
        var state = await EngineCall.RunAsync(what, () => client.Exec.InspectContainerExecAsync(exec.ID, ct), ct);
        for (var i = 0; state.Running && i < 100; i++)
        {
            await Task.Delay(20, ct);
            state = await EngineCall.RunAsync(what, () => client.Exec.InspectContainerExecAsync(exec.ID, ct), ct);
        }
        return new ExecResult((int)(state.ExitCode ?? -1), output.StdOut, output.StdErr);
    }

    public async Task RemoveContainerAsync(string container, CancellationToken ct = default)
    {
        try
        {
            await EngineCall.RunAsync($"remove container {container}", () => client.Containers.RemoveContainerAsync(container,
                new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, ct), ct);
        }
        catch (EngineNotFoundException)
        {
        }
    }

    public async Task<IReadOnlyList<string>> ListContainersAsync(string label, CancellationToken ct = default)
    {
        var list = await EngineCall.RunAsync("list containers", () => client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [label] = true } },
        }, ct), ct);
        return list.Select(c => c.ID).ToList();
    }

    public async Task<bool> ContainerExistsAsync(string nameOrId, CancellationToken ct = default)
    {
        try
        {
            await EngineCall.RunAsync($"inspect container {nameOrId}", () => client.Containers.InspectContainerAsync(nameOrId, ct), ct);
            return true;
        }
        catch (EngineNotFoundException)
        {
            return false;
        }
    }

    /// <summary>A container of the image that is created (never started), used, and removed whatever happens.</summary>
    public async Task<T> WithCreatedContainerAsync<T>(ImageLocator image, Func<string, Task<T>> use, CancellationToken ct)
    {
        var id = await CreateAsync(null, image, new ContainerOptions { ReplaceEntrypoint = true }, ["true"], ct);
        try
        {
            return await use(id);
        }
        finally
        {
            await RemoveContainerAsync(id, CancellationToken.None);
        }
    }
}
