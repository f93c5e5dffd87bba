using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Strata.Engine;

/// <summary>
/// The one place Strata talks to the container engine: a small typed wrapper over the docker CLI
/// (works with the classic builder and with BuildKit/buildx alike).
/// </summary>
public sealed class DockerCli(string executable = "docker")
{
    /// <summary>Fails with <see cref="EngineUnavailableException"/> when no engine answers.</summary>
    public async Task<string> ServerVersionAsync(CancellationToken ct = default)
    {
        CliResult result;
        try
        {
            result = await RunAsync(["version", "--format", "{{.Server.Version}}"], ct: ct);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new EngineUnavailableException(
                $"The '{executable}' command was not found. Install the Docker CLI and engine (Debian: apt-get install docker.io).");
        }
        if (result.ExitCode != 0 || string.IsNullOrWhiteSpace(result.StdOut))
            throw Unavailable(FirstLine(result.StdErr));
        return result.StdOut.Trim();
    }

    private static EngineUnavailableException Unavailable(string reason) => new(
        "No Docker engine is reachable (" + reason + "). Start one: " +
        "`sudo systemctl start docker`, or `sudo dockerd >/var/log/dockerd.log 2>&1 &` where there is no systemd, " +
        "or point DOCKER_HOST at a running engine.");

    /// <summary>
    /// Builds an image from a tar build context streamed on stdin. Every output line goes to
    /// <paramref name="onOutput"/> as it arrives. Returns the new image id. A failed build throws
    /// <see cref="EngineException"/> with the engine's own error, and tags nothing.
    /// </summary>
    public async Task<string> BuildAsync(BuildRequest request, Func<Stream, CancellationToken, Task> writeContext,
        Action<string> onOutput, CancellationToken ct = default)
    {
        var iidFile = Path.Combine(Path.GetTempPath(), $"strata-iid-{Guid.NewGuid():N}");
        var args = new List<string> { "build", "--file", request.Dockerfile, "--iidfile", iidFile };
        foreach (var (k, v) in request.BuildArgs) args.AddRange(["--build-arg", $"{k}={v}"]);
        foreach (var (k, v) in request.Labels) args.AddRange(["--label", $"{k}={v}"]);
        foreach (var tag in request.Tags) args.AddRange(["--tag", tag]);
        if (request.Network is { } network) args.AddRange(["--network", network]);
        args.Add("-");

        var tail = new Queue<string>();
        void Collect(string line)
        {
            onOutput(line);
            tail.Enqueue(line);
            if (tail.Count > 20) tail.Dequeue();
        }

        try
        {
            // BuildKit prints its progress as plain lines with this; the classic builder ignores it.
            var env = new Dictionary<string, string> { ["BUILDKIT_PROGRESS"] = "plain" };
            var result = await RunAsync(args, writeContext, Collect, Collect, env, ct);
            if (result.ExitCode != 0)
                throw new EngineException($"docker build failed (exit {result.ExitCode}):\n  " + string.Join("\n  ", tail));
            var id = (await File.ReadAllTextAsync(iidFile, ct)).Trim();
            if (id.Length == 0) throw new EngineException("docker build succeeded but wrote no image id.");
            return id;
        }
        finally
        {
            File.Delete(iidFile);
        }
    }

    /// <summary>Inspects images by reference; references that do not exist are simply absent from the result.</summary>
    public async Task<IReadOnlyList<ImageInfo>> InspectImagesAsync(IEnumerable<string> references, CancellationToken ct = default)
    {
        var refs = references.Distinct().ToList();
        if (refs.Count == 0) return [];
        // One call for all references; a missing one makes the exit code 1 but the rest still print.
        var result = await RunAsync(["image", "inspect", .. refs], ct: ct);
        // Missing images are "No such image" lines; any other error means no engine answered.
        var errors = result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (result.ExitCode != 0 && errors.Any(e => !e.Contains("No such image", StringComparison.OrdinalIgnoreCase)))
            throw Unavailable(errors.First(e => !e.Contains("No such image", StringComparison.OrdinalIgnoreCase)));
        if (string.IsNullOrWhiteSpace(result.StdOut)) return [];
        using var doc = JsonDocument.Parse(result.StdOut);
        return doc.RootElement.EnumerateArray().Select(ImageInfo.FromInspect).ToList();
    }

    public async Task TagAsync(string source, string target, CancellationToken ct = default) =>
        await CheckAsync(["tag", source, target], ct);

    public async Task RemoveImageAsync(string reference, CancellationToken ct = default) =>
        await CheckAsync(["image", "rm", reference], ct);

    /// <summary>Pulls an image; returns false (with the engine's reason) when it cannot be pulled.</summary>
    public async Task<(bool Ok, string Reason)> TryPullAsync(string reference, CancellationToken ct = default)
    {
        var result = await RunAsync(["pull", "--quiet", reference], ct: ct);
        return (result.ExitCode == 0, FirstLine(result.StdErr));
    }

    /// <summary>
    /// Pulls <paramref name="reference"/> (best by digest: name@sha256:...). Credentials, when given, reach
    /// the CLI through a private config folder for this call only: never an argv or an environment value.
    /// </summary>
    public async Task PullAsync(string reference, Registry.RegistryCredentials? credentials, CancellationToken ct = default)
    {
        var result = await WithCredentialsAsync(reference, credentials, env => RunAsync(["pull", "--quiet", reference], environment: env, ct: ct));
        if (result.ExitCode != 0) throw new EngineException($"docker pull {reference} failed: {result.StdErr.Trim()}");
    }

    /// <summary>Pushes a local tag to its registry; every progress line goes to <paramref name="onOutput"/>.</summary>
    public async Task PushAsync(string reference, Registry.RegistryCredentials? credentials, Action<string> onOutput, CancellationToken ct = default)
    {
        var result = await WithCredentialsAsync(reference, credentials,
            env => RunAsync(["push", reference], onStdOut: onOutput, onStdErr: onOutput, environment: env, ct: ct));
        if (result.ExitCode != 0) throw new EngineException($"docker push {reference} failed: {FirstLine(result.StdErr)}");
    }

    private static async Task<CliResult> WithCredentialsAsync(string reference, Registry.RegistryCredentials? credentials,
        Func<IReadOnlyDictionary<string, string>?, Task<CliResult>> run)
    {
        if (credentials is null) return await run(null);
        var host = reference.Split('/')[0];
        var dir = Directory.CreateTempSubdirectory("strata-docker-auth-");
        try
        {
            var path = Path.Combine(dir.FullName, "config.json");
            File.WriteAllText(path, "");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.WriteAllText(path, JsonSerializer.Serialize(new { auths = new Dictionary<string, object> { [host] = new { auth = credentials.BasicHeader } } }));
            return await run(new Dictionary<string, string> { ["DOCKER_CONFIG"] = dir.FullName });
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>Imports a root filesystem tar as an image (docker import).</summary>
    public async Task ImportAsync(Func<Stream, CancellationToken, Task> writeTar, string reference, CancellationToken ct = default)
    {
        var result = await RunAsync(["import", "-", reference], writeTar, ct: ct);
        if (result.ExitCode != 0) throw new EngineException($"docker import {reference} failed: {result.StdErr.Trim()}");
    }

    /// <summary>Runs a container to completion (docker run --rm) and returns its exit code and output.</summary>
    public Task<CliResult> RunContainerAsync(IEnumerable<string> options, string image, IEnumerable<string> command,
        CancellationToken ct = default) =>
        RunAsync(["run", "--rm", .. options, image, .. command], ct: ct);

    /// <summary>
    /// Starts a long-running container (docker run -d) and returns its id. <paramref name="command"/>
    /// replaces the image's entrypoint: its first word is the entrypoint, the rest its arguments.
    /// </summary>
    public async Task<string> StartContainerAsync(string name, string image, IEnumerable<string> options,
        IReadOnlyList<string> command, CancellationToken ct = default)
    {
        var result = await RunAsync(["run", "-d", "--name", name, "--entrypoint", command[0], .. options, image, .. command.Skip(1)], ct: ct);
        if (result.ExitCode != 0 || string.IsNullOrWhiteSpace(result.StdOut))
            throw new EngineException($"docker run {image} failed: {result.StdErr.Trim()}");
        return result.StdOut.Trim();
    }

    /// <summary>Runs a command in a running container (docker exec) as <paramref name="user"/>; never throws on its exit code.</summary>
    public Task<CliResult> ExecAsync(string container, string user, IEnumerable<string> command, CancellationToken ct = default) =>
        RunAsync(["exec", "--user", user, container, .. command], ct: ct);

    /// <summary>Removes a container, running or not (docker rm -f); a container that is already gone is fine.</summary>
    public async Task RemoveContainerAsync(string container, CancellationToken ct = default)
    {
        var result = await RunAsync(["rm", "-f", "--volumes", container], ct: ct);
        if (result.ExitCode != 0 && !result.StdErr.Contains("No such container", StringComparison.OrdinalIgnoreCase))
            throw new EngineException($"docker rm -f {container} failed: {result.StdErr.Trim()}");
    }

    /// <summary>Runs any docker CLI command; the escape hatch for rare calls (export, create, rm).</summary>
    public async Task<CliResult> RunAsync(
        IReadOnlyList<string> args,
        Func<Stream, CancellationToken, Task>? writeStdin = null,
        Action<string>? onStdOut = null,
        Action<string>? onStdErr = null,
        IReadOnlyDictionary<string, string>? environment = null,
        CancellationToken ct = default)
    {
        var psi = new ProcessStartInfo(executable)
        {
            RedirectStandardInput = writeStdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var arg in args) psi.ArgumentList.Add(arg);
        if (environment is not null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;

        using var process = Process.Start(psi) ?? throw new EngineException($"could not start '{executable}'.");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var readOut = Pump(process.StandardOutput, stdout, onStdOut);
        var readErr = Pump(process.StandardError, stderr, onStdErr);
        await using var kill = ct.Register(() => { try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } });

        if (writeStdin is not null)
        {
            try
            {
                await writeStdin(process.StandardInput.BaseStream, ct);
            }
            catch (IOException)
            {
                // The engine stopped reading (for example a failed build): its exit code and output tell why.
            }
            finally
            {
                try { process.StandardInput.Close(); } catch (IOException) { }
            }
        }

        await Task.WhenAll(readOut, readErr);
        await process.WaitForExitAsync(CancellationToken.None);
        ct.ThrowIfCancellationRequested();
        return new CliResult(process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    private async Task CheckAsync(IReadOnlyList<string> args, CancellationToken ct)
    {
        var result = await RunAsync(args, ct: ct);
        if (result.ExitCode != 0)
            throw new EngineException($"docker {string.Join(' ', args)} failed: {result.StdErr.Trim()}");
    }

    private static async Task Pump(StreamReader reader, StringBuilder all, Action<string>? onLine)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            all.AppendLine(line);
            onLine?.Invoke(line);
        }
    }

    private static string FirstLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "no output";
}

public sealed record CliResult(int ExitCode, string StdOut, string StdErr);

/// <summary>What one docker build needs. The context itself is streamed separately as a tar.</summary>
/// <param name="Dockerfile">The Dockerfile's path inside the context.</param>
/// <param name="Network">null for the engine's default; "host" to build with host networking.</param>
public sealed record BuildRequest(
    string Dockerfile,
    IReadOnlyDictionary<string, string> BuildArgs,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<string> Tags,
    string? Network);

public sealed record ImageInfo(string Id, IReadOnlyList<string> RepoTags, IReadOnlyDictionary<string, string> Labels, long Size)
{
    internal static ImageInfo FromInspect(JsonElement e)
    {
        var tags = e.TryGetProperty("RepoTags", out var t) && t.ValueKind == JsonValueKind.Array
            ? t.EnumerateArray().Select(x => x.GetString()!).ToList()
            : [];
        var labels = new Dictionary<string, string>();
        if (e.TryGetProperty("Config", out var config) && config.TryGetProperty("Labels", out var l) &&
            l.ValueKind == JsonValueKind.Object)
            foreach (var p in l.EnumerateObject()) labels[p.Name] = p.Value.GetString() ?? "";
        return new ImageInfo(e.GetProperty("Id").GetString()!, tags, labels, e.GetProperty("Size").GetInt64());
    }
}

/// <summary>The engine refused or failed an operation; the message carries the engine's own error.</summary>
public class EngineException(string message) : Exception(message);

/// <summary>No engine answers; the message says how to start one.</summary>
public sealed class EngineUnavailableException(string message) : EngineException(message);
