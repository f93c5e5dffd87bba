using System.Text;
using Strata.IO;
using Strata.Oci;

namespace Strata.Engine;

/// <summary>Which builder builds images.</summary>
public enum BuilderChoice
{
    /// <summary>BuildKit where a docker client here can drive it, else the classic builder.</summary>
    Auto,
    BuildKit,
    Classic,
}

/// <summary>The client and builder a run builds with.</summary>
public sealed record ResolvedBuilder(string Executable, bool BuildKit)
{
    public string Name => BuildKit ? "BuildKit" : "classic builder";
}

/// <summary>
/// Builds through the docker CLI, the only engine call that does not go through the API: BuildKit
/// needs a gRPC session (/session, file sync, progress) that Docker.DotNet does not speak, so the
/// CLI drives both builders. BuildKit: a client with the buildx plugin, or a pre-23 client (Debian's
/// 20.10 /usr/bin/docker) with its built-in BuildKit, both with DOCKER_BUILDKIT=1. Classic:
/// DOCKER_BUILDKIT=0 on any client.
/// </summary>
internal sealed class CliBuilder(BuilderChoice choice, string? executable) : IImageBuilder
{
    private Task<ResolvedBuilder>? _resolved;
    private readonly Lock _gate = new();

    public BuilderChoice Choice => choice;

    public Task<ResolvedBuilder> ResolveBuilderAsync(CancellationToken ct = default)
    {
        lock (_gate) return _resolved ??= ResolveCoreAsync(ct);
    }

    private async Task<ResolvedBuilder> ResolveCoreAsync(CancellationToken ct)
    {
        // Only docker clients on this machine are candidates: an explicit one, or PATH's first and Debian's.
        var candidates = executable is not null
            ? [executable]
            : new[] { Executables.Find("docker"), "/usr/bin/docker" }.OfType<string>().Where(File.Exists).Distinct().ToList();
        if (candidates.Count == 0)
            throw new EngineUnavailableException(
                "The docker CLI (needed to build images) was not found. Install it (Debian: apt-get install docker.io).");
        if (choice == BuilderChoice.Classic) return new ResolvedBuilder(candidates[0], false);

        // Asked side by side: each answer is a process start.
        var able = await Task.WhenAll(candidates.Select(c => CanBuildKitAsync(c, ct)));
        if (Array.IndexOf(able, true) is var first and >= 0) return new ResolvedBuilder(candidates[first], true);
        if (choice == BuilderChoice.BuildKit)
            throw new EngineException(
                $"--builder=buildkit: no docker client here can drive BuildKit (tried {string.Join(", ", candidates)}: " +
                "no buildx plugin, and clients from 23.0 on need it). Install the buildx plugin (Debian: docker-buildx, " +
                "Docker's packages: docker-buildx-plugin), or build with --builder=classic.");
        return new ResolvedBuilder(candidates[0], false);
    }

    /// <summary>The buildx plugin is installed, or the client predates 23.0 (which still has BuildKit built in).</summary>
    private static async Task<bool> CanBuildKitAsync(string client, CancellationToken ct)
    {
        if (BuildxPlugin() is not null) return true;
        try
        {
            var version = await RunAsync(client, ["--version"], null, null, null, ct);
            // "Docker version 20.10.24+dfsg1, build 297e128"
            var words = version.StdOut.Split(' ', ',');
            return words.Length > 2 && int.TryParse(words[2].Split('.')[0], out var major) && major < 23;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    public async Task<BuiltImage> BuildAsync(BuildRequest request, Func<Stream, CancellationToken, Task> writeContext,
        Action<string> onOutput, CancellationToken ct = default)
    {
        ResolvedBuilder builder;
        try
        {
            builder = await ResolveBuilderAsync(ct);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new EngineUnavailableException($"The '{executable}' command was not found. Install the Docker CLI (Debian: apt-get install docker.io).");
        }
        var iidFile = Path.Combine(Path.GetTempPath(), $"strata-iid-{Guid.NewGuid():N}");
        var args = new List<string> { "build", "--file", request.Dockerfile, "--iidfile", iidFile };
        foreach (var (k, v) in request.BuildArgs) args.AddRange(["--build-arg", $"{k}={v}"]);
        foreach (var (k, v) in request.Labels) args.AddRange(["--label", $"{k}={v}"]);
        foreach (var tag in request.Tags) args.AddRange(["--tag", tag.ToString()]);
        if (request.Network is { } network) args.AddRange(["--network", network]);
        if (request.NoCache) args.Add("--no-cache");
        if (request.Platform is { } platform) args.AddRange(["--platform", platform.ToString()]);
        foreach (var image in request.CacheFrom) args.AddRange(["--cache-from", image.ToString()]);
        // Only BuildKit reads it; the classic builder would warn that the argument was not consumed.
        if (request.InlineCache && builder.BuildKit) args.AddRange(["--build-arg", "BUILDKIT_INLINE_CACHE=1"]);
        // The classic builder keeps the container of a failed step unless told otherwise.
        if (!builder.BuildKit) args.Add("--force-rm");
        args.Add("-");

        var output = new BuildOutput();
        void Collect(string line)
        {
            line = output.Add(line);
            onOutput(line);
        }

        try
        {
            var env = new Dictionary<string, string>
            {
                ["DOCKER_BUILDKIT"] = builder.BuildKit ? "1" : "0",
                // BuildKit's progress as plain lines, whatever the terminal.
                ["BUILDKIT_PROGRESS"] = "plain",
            };
            int exitCode;
            try
            {
                exitCode = (await RunAsync(builder.Executable, args, writeContext, Collect, env, ct)).ExitCode;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                throw new EngineUnavailableException($"The '{builder.Executable}' command was not found. Install the Docker CLI (Debian: apt-get install docker.io).");
            }
            if (exitCode != 0)
            {
                if (output.Unreachable) throw EngineCall.Unavailable(output.Error ?? "the build could not reach it");
                throw new EngineException($"docker build failed ({builder.Name}, exit {exitCode})" +
                                          (output.Step is { } step ? $" at step {step}" : "") + ": " +
                                          (output.Error ?? "no error line") + "\n  " + string.Join("\n  ", output.Tail));
            }
            var id = File.Exists(iidFile) ? (await File.ReadAllTextAsync(iidFile, ct)).Trim() : "";
            if (id.Length == 0) throw new EngineException("docker build succeeded but wrote no image id.");
            if (!ImageId.TryParse(id, out var imageId)) throw new EngineException($"docker build succeeded but wrote '{id}', which is not an image id.");
            return new BuiltImage(imageId, output.CachedSteps);
        }
        finally
        {
            File.Delete(iidFile);
        }
    }

    /// <summary>Runs the client; every line (stdout and stderr) goes to <paramref name="onLine"/>, stdout is returned too.</summary>
    private static async Task<(int ExitCode, string StdOut)> RunAsync(string client, IReadOnlyList<string> args,
        Func<Stream, CancellationToken, Task>? writeStdin, Action<string>? onLine, IReadOnlyDictionary<string, string>? environment,
        CancellationToken ct)
    {
        var stdout = new StringBuilder();
        var exitCode = await ChildProcess.RunAsync(client, args, line => { stdout.AppendLine(line); onLine?.Invoke(line); }, onLine, ct,
            environment, writeStdin);
        return (exitCode, stdout.ToString());
    }

    /// <summary>Where the docker CLI looks for plugins (its config folder first).</summary>
    private static string? BuildxPlugin()
    {
        var config = Environment.GetEnvironmentVariable("DOCKER_CONFIG") is { Length: > 0 } c
            ? c
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");
        return new[] { config, "/usr/local/lib/docker", "/usr/local/libexec/docker", "/usr/lib/docker", "/usr/libexec/docker" }
            .Select(d => Path.Combine(d, "cli-plugins", "docker-buildx")).FirstOrDefault(File.Exists);
    }
}

public static class Builders
{
    /// <summary>Parses --builder=auto|buildkit|classic.</summary>
    public static BuilderChoice Parse(string value) => value.ToLowerInvariant() switch
    {
        "auto" => BuilderChoice.Auto,
        "buildkit" => BuilderChoice.BuildKit,
        "classic" => BuilderChoice.Classic,
        _ => throw new StrataConfigException($"--builder={value}: use auto (BuildKit where available), buildkit or classic."),
    };
}
