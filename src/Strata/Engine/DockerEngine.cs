using System.IO.Pipelines;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;
using Strata.Registry;
using Version = System.Version;

namespace Strata.Engine;

/// <summary>
/// The one place Strata talks to the container engine: the Engine API (Docker.DotNet) for
/// everything but builds, which go through the docker CLI (see <see cref="CliBuilder"/>).
/// Endpoint as the docker CLI resolves it: DOCKER_HOST, the current context, the local socket.
/// </summary>
public sealed class DockerEngine : IDisposable
{
    /// <summary>The oldest Engine API Strata uses (Docker 20.10).</summary>
    public static readonly Version MinimumApiVersion = new(1, 41);

    private readonly DockerClient _client;
    private readonly CliBuilder _builder;
    private readonly Lazy<Task<EngineVersion>> _version;

    /// <param name="builder">Which builder builds images (auto: BuildKit where the engine and a client can).</param>
    /// <param name="cliExecutable">The docker CLI used for builds; null: the one on PATH (or Debian's /usr/bin/docker for BuildKit).</param>
    public DockerEngine(BuilderChoice builder = BuilderChoice.Auto, string? cliExecutable = null)
    {
        _client = new DockerClientBuilder().Build();
        _version = new Lazy<Task<EngineVersion>>(LoadVersionAsync);
        _builder = new CliBuilder(builder, cliExecutable);
    }

    public BuilderChoice Builder => _builder.Choice;

    /// <summary>Told the name of each pull and push as it starts (for tests and traces); never a credential.</summary>
    public Action<string>? OnOperation { get; init; }

    /// <summary>The docker config folder registry logins are read from; null: $DOCKER_CONFIG or ~/.docker.</summary>
    public string? DockerConfig { get; init; }

    /// <summary>The engine's version, API version and platform (asked once, then remembered).</summary>
    public Task<EngineVersion> VersionAsync(CancellationToken ct = default) => _version.Value.WaitAsync(ct);

    /// <summary>The engine's version string; fails with <see cref="EngineUnavailableException"/> when no engine answers.</summary>
    public async Task<string> ServerVersionAsync(CancellationToken ct = default) => (await VersionAsync(ct)).Version;

    /// <summary>The architecture images are built for: the engine's, in Go's names (amd64, arm64).</summary>
    public async Task<string> ArchAsync(CancellationToken ct = default) => (await VersionAsync(ct)).Arch;

    private async Task<EngineVersion> LoadVersionAsync()
    {
        var v = await Call("ask the engine for its version", () => _client.System.GetVersionAsync(), CancellationToken.None);
        var version = new EngineVersion(v.Version, v.APIVersion, v.Os, v.Arch);
        if (!Version.TryParse(v.APIVersion, out var api) || api < MinimumApiVersion)
            throw new EngineException(
                $"The Docker engine {v.Version} speaks Engine API {v.APIVersion}; Strata needs API {MinimumApiVersion} or newer " +
                "(Docker Engine 20.10 or later). Upgrade the engine (Debian: apt-get install docker.io from bookworm or later).");
        return version;
    }

    /// <summary>Inspects images by reference (tags, ids, digests); references that do not exist are simply absent.</summary>
    public async Task<IReadOnlyList<ImageInfo>> InspectImagesAsync(IEnumerable<string> references, CancellationToken ct = default)
    {
        var refs = references.Distinct().ToList();
        var tags = refs.Where(IsTag).Select(WithTag).ToList();
        var found = new Dictionary<string, ImageInfo>();
        // All tags in one list call: the reference filter takes many values (or-ed).
        if (tags.Count > 0)
            foreach (var image in await ListAsync(new Dictionary<string, IDictionary<string, bool>>
                     {
                         ["reference"] = tags.ToDictionary(t => t, _ => true),
                     }, ct))
                found[image.Id] = image;
        foreach (var other in refs.Where(r => !IsTag(r)))
        {
            var image = await InspectAsync(other, ct);
            if (image is not null) found[image.Id] = image;
        }
        return found.Values.ToList();
    }

    /// <summary>Lists images: of a repository (<paramref name="reference"/> "repo" or "repo:tag"), carrying labels ("key" or "key=value"), or both.</summary>
    public async Task<IReadOnlyList<ImageInfo>> ListImagesAsync(string? reference = null, IEnumerable<string>? labels = null,
        CancellationToken ct = default)
    {
        var filters = new Dictionary<string, IDictionary<string, bool>>();
        if (reference is not null) filters["reference"] = new Dictionary<string, bool> { [reference] = true };
        if (labels?.ToList() is { Count: > 0 } l) filters["label"] = l.ToDictionary(x => x, _ => true);
        return await ListAsync(filters, ct);
    }

    private async Task<IReadOnlyList<ImageInfo>> ListAsync(IDictionary<string, IDictionary<string, bool>> filters, CancellationToken ct)
    {
        var list = await Call("list images", () => _client.Images.ListImagesAsync(new ImagesListParameters { Filters = filters }, ct), ct);
        return list.Select(i => new ImageInfo(i.ID, i.RepoTags?.Where(t => t != "<none>:<none>").ToList() ?? [],
            (IReadOnlyDictionary<string, string>?)i.Labels?.ToDictionary() ?? new Dictionary<string, string>(), i.Size, i.Created)).ToList();
    }

    private async Task<ImageInfo?> InspectAsync(string reference, CancellationToken ct)
    {
        try
        {
            var i = await Call($"inspect image {reference}", () => _client.Images.InspectImageAsync(reference, ct), ct);
            return new ImageInfo(i.ID, i.RepoTags?.ToList() ?? [],
                (IReadOnlyDictionary<string, string>?)i.Config?.Labels?.ToDictionary() ?? new Dictionary<string, string>(), i.Size,
                i.Created ?? DateTime.MinValue);
        }
        catch (EngineNotFoundException)
        {
            return null;
        }
    }

    public async Task TagAsync(string source, string target, CancellationToken ct = default)
    {
        var (repository, tag) = SplitTag(target);
        await Call($"tag {source} as {target}",
            () => _client.Images.TagImageAsync(source, new ImageTagParameters { RepositoryName = repository, Tag = tag }, ct), ct);
    }

    /// <summary>Removes one tag (or an untagged image by id). <paramref name="force"/>: also when a stopped container uses it.</summary>
    public async Task RemoveImageAsync(string reference, bool force = false, CancellationToken ct = default) =>
        await Call($"remove image {reference}",
            () => _client.Images.DeleteImageAsync(reference, new ImageDeleteParameters { Force = force }, ct), ct);

    /// <summary>Pulls an image (credentials from the docker config file); returns false with the engine's reason when it cannot.</summary>
    public async Task<(bool Ok, string Reason)> TryPullAsync(string reference, CancellationToken ct = default, Action<string>? progress = null)
    {
        try
        {
            await PullAsync(reference, null, ct, progress);
            return (true, "");
        }
        catch (EngineException e) when (e is not EngineUnavailableException)
        {
            return (false, e.Message);
        }
    }

    /// <summary>
    /// Pulls <paramref name="reference"/> (best by digest: name@sha256:...). <paramref name="credentials"/>:
    /// null for the login the docker config file holds for its registry. The secret goes to the engine only.
    /// </summary>
    public async Task PullAsync(string reference, RegistryCredentials? credentials, CancellationToken ct = default,
        Action<string>? progress = null)
    {
        var (repository, tag, digest) = SplitReference(reference);
        var messages = new MessageLog(progress);
        OnOperation?.Invoke("pull");
        await Call($"pull {reference}", () => _client.Images.CreateImageAsync(
            new ImagesCreateParameters { FromImage = repository, Tag = digest ?? tag },
            Auth(reference, credentials), messages, ct), ct);
        if (messages.Error is { } error) throw new EngineException($"could not pull {reference}: {error}");
    }

    /// <summary>Pushes a local tag to its registry; progress lines go to <paramref name="onOutput"/>. Credentials as for <see cref="PullAsync"/>.</summary>
    public async Task PushAsync(string reference, RegistryCredentials? credentials, Action<string> onOutput, CancellationToken ct = default)
    {
        var (repository, tag, _) = SplitReference(reference);
        var messages = new MessageLog(onOutput);
        OnOperation?.Invoke("push");
        await Call($"push {reference}", () => _client.Images.PushImageAsync(repository, new ImagePushParameters { Tag = tag },
            Auth(reference, credentials) ?? new AuthConfig(), messages, ct), ct);
        if (messages.Error is { } error)
            throw new EngineException($"push {reference} failed: {error}" + (error.Contains("auth", StringComparison.OrdinalIgnoreCase)
                ? $" (log in first: docker login {RegistryHost(reference)})" : ""));
    }

    /// <summary>The login for the reference's registry: the one given, else the docker config file's (<see cref="DockerConfig"/>).</summary>
    private AuthConfig? Auth(string reference, RegistryCredentials? credentials)
    {
        var host = RegistryHost(reference);
        credentials ??= RegistryCredentials.FromDockerConfig(host,
            name => name == "DOCKER_CONFIG" && DockerConfig is not null ? DockerConfig : Environment.GetEnvironmentVariable(name));
        return credentials switch
        {
            null => null,
            { User: "<token>" } => new AuthConfig { IdentityToken = credentials.Secret, ServerAddress = host },
            _ => new AuthConfig { Username = credentials.User, Password = credentials.Secret, ServerAddress = host },
        };
    }

    /// <summary>"localhost:5000/x:y" gives "localhost:5000"; Docker Hub names give "index.docker.io" (its config key's host).</summary>
    internal static string RegistryHost(string reference)
    {
        var slash = reference.IndexOf('/');
        var first = slash < 0 ? "" : reference[..slash];
        return first.Contains('.') || first.Contains(':') || first == "localhost" ? first : "index.docker.io";
    }

    /// <summary>Imports a root filesystem tar as an image (docker import), streamed as it is written.</summary>
    public async Task ImportAsync(Func<Stream, CancellationToken, Task> writeTar, string reference, CancellationToken ct = default)
    {
        var (repository, tag) = SplitTag(reference);
        var pipe = new Pipe();
        var messages = new MessageLog(null);
        var write = Task.Run(async () =>
        {
            await using var input = pipe.Writer.AsStream();
            try { await writeTar(input, ct); }
            catch (Exception e) { await pipe.Writer.CompleteAsync(e); throw; }
        }, ct);
        await using var body = pipe.Reader.AsStream();
        var send = Call($"import {reference}", () => _client.Images.CreateImageAsync(
            new ImagesCreateParameters { Repo = repository, Tag = tag }, body, null, messages, ct), ct);
        await Task.WhenAll(write, send);
        if (messages.Error is { } error) throw new EngineException($"import {reference} failed: {error}");
    }

    /// <summary>
    /// Starts a long-running container and returns its id. <paramref name="command"/> replaces the
    /// image's entrypoint: its first word is the entrypoint, the rest its arguments.
    /// </summary>
    public async Task<string> StartContainerAsync(string name, string image, ContainerOptions options,
        IReadOnlyList<string> command, CancellationToken ct = default)
    {
        var id = await CreateContainerAsync(name, image, options, command, ct);
        await Call($"start container {name} of {image}", () => _client.Containers.StartContainerAsync(id, new ContainerStartParameters(), ct), ct);
        return id;
    }

    /// <summary>Runs a container to completion (create, start, wait, logs, remove) and returns its exit code and output.</summary>
    public async Task<ExecResult> RunContainerAsync(ContainerOptions options, string image, IReadOnlyList<string> command,
        CancellationToken ct = default)
    {
        var id = await CreateContainerAsync(null, image, options, command, ct);
        try
        {
            await Call($"start a container of {image}", () => _client.Containers.StartContainerAsync(id, new ContainerStartParameters(), ct), ct);
            var exit = await Call($"wait for the container of {image}", () => _client.Containers.WaitContainerAsync(id, ct), ct);
            using var logs = await Call($"read the logs of the container of {image}", () => _client.Containers.GetContainerLogsAsync(id,
                new ContainerLogsParameters { ShowStdout = true, ShowStderr = true }, ct), ct);
            var (stdout, stderr) = await logs.ReadOutputToEndAsync(ct);
            return new ExecResult((int)exit.StatusCode, stdout, stderr);
        }
        finally
        {
            await RemoveContainerAsync(id, CancellationToken.None);
        }
    }

    private async Task<string> CreateContainerAsync(string? name, string image, ContainerOptions options,
        IReadOnlyList<string> command, CancellationToken ct)
    {
        var parameters = new CreateContainerParameters
        {
            Name = name,
            Image = image,
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
        var created = await Call($"create a container of {image}", () => _client.Containers.CreateContainerAsync(parameters, ct), ct);
        return created.ID;
    }

    /// <summary>
    /// Runs a command in a running container as <paramref name="user"/>, with <paramref name="environment"/>
    /// ("NAME=value") added; never throws on its exit code.
    /// </summary>
    /// <param name="onStdOutLine">Gets each stdout line as it comes (a long run shows its progress).</param>
    public async Task<ExecResult> ExecAsync(string container, string user, IEnumerable<string> command, CancellationToken ct = default,
        IEnumerable<string>? environment = null, Action<string>? onStdOutLine = null)
    {
        var exec = await Call($"exec in container {container}", () => _client.Exec.CreateContainerExecAsync(container,
            new ContainerExecCreateParameters
            {
                User = user, Cmd = command.ToList(), Env = environment?.ToList() ?? [], AttachStdout = true, AttachStderr = true,
            }, ct), ct);
        using (var stream = await Call($"exec in container {container}",
                   () => _client.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters(), ct), ct))
        {
            var (stdout, stderr) = onStdOutLine is null ? await stream.ReadOutputToEndAsync(ct) : await ReadLinesAsync(stream, onStdOutLine, ct);
            // The output ends as the process exits; its exit code may take a moment more.
            var state = await Call($"exec in container {container}", () => _client.Exec.InspectContainerExecAsync(exec.ID, ct), ct);
            for (var i = 0; state.Running && i < 100; i++)
            {
                await Task.Delay(20, ct);
                state = await Call($"exec in container {container}", () => _client.Exec.InspectContainerExecAsync(exec.ID, ct), ct);
            }
            return new ExecResult((int)(state.ExitCode ?? -1), stdout, stderr);
        }
    }

    private static async Task<(string StdOut, string StdErr)> ReadLinesAsync(MultiplexedStream stream, Action<string> onStdOutLine,
        CancellationToken ct)
    {
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var outDecoder = Encoding.UTF8.GetDecoder();
        var errDecoder = Encoding.UTF8.GetDecoder();
        var buffer = new byte[16384];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        var lineStart = 0;
        while (await stream.ReadOutputAsync(buffer, 0, buffer.Length, ct) is { EOF: false } read)
        {
            var isOut = read.Target == MultiplexedStream.TargetStream.StandardOut;
            var n = (isOut ? outDecoder : errDecoder).GetChars(buffer, 0, read.Count, chars, 0);
            (isOut ? stdout : stderr).Append(chars, 0, n);
            if (!isOut) continue;
            for (var newline = IndexOf(stdout, '\n', lineStart); newline >= 0; newline = IndexOf(stdout, '\n', lineStart))
            {
                onStdOutLine(stdout.ToString(lineStart, newline - lineStart).TrimEnd('\r'));
                lineStart = newline + 1;
            }
        }
        if (lineStart < stdout.Length) onStdOutLine(stdout.ToString(lineStart, stdout.Length - lineStart));
        return (stdout.ToString(), stderr.ToString());
    }

    private static int IndexOf(StringBuilder text, char c, int from)
    {
        for (var i = from; i < text.Length; i++)
            if (text[i] == c) return i;
        return -1;
    }

    /// <summary>Removes a container, running or not, with its anonymous volumes; one that is already gone is fine.</summary>
    public async Task RemoveContainerAsync(string container, CancellationToken ct = default)
    {
        try
        {
            await Call($"remove container {container}", () => _client.Containers.RemoveContainerAsync(container,
                new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, ct), ct);
        }
        catch (EngineNotFoundException)
        {
        }
    }

    /// <summary>
    /// Reads the regular files among <paramref name="paths"/> (absolute) from an image, without running
    /// anything: one archive of their common folder from a created container, then removed (each
    /// archive request mounts the container, so one for all). Absent paths, folders and symlinks are left out.
    /// </summary>
    public async Task<IReadOnlyList<ImageFile>> ReadFilesAsync(string image, IEnumerable<string> paths, CancellationToken ct = default)
    {
        var wanted = paths.ToHashSet(StringComparer.Ordinal);
        if (wanted.Count == 0) return [];
        var folder = wanted.Select(p => p[..p.LastIndexOf('/')]).Aggregate(CommonFolder);
        return await WithCreatedContainerAsync<IReadOnlyList<ImageFile>>(image, async id =>
        {
            ContainerArchiveResponse archive;
            try
            {
                archive = await Call($"read {folder} from {image}", () => _client.Containers.GetArchiveFromContainerAsync(id,
                    new ContainerPathStatParameters { Path = folder.Length == 0 ? "/" : folder }, statOnly: false, ct), ct);
            }
            catch (EngineNotFoundException)
            {
                return [];
            }
            // Entries are named after the folder's own name: "dev/.bashrc" for /home/dev/.bashrc.
            var parent = folder[..Math.Max(0, folder.LastIndexOf('/'))];
            var files = new List<ImageFile>();
            // Read whole first: the client's chunked stream does not take the tar reader's partial reads.
            using var whole = new MemoryStream();
            await using (var stream = archive.Stream!) await stream.CopyToAsync(whole, ct);
            whole.Position = 0;
            await using var tar = new System.Formats.Tar.TarReader(whole);
            while (await NextEntryAsync(tar, ct) is { } entry)
            {
                var path = parent + "/" + entry.Name.TrimEnd('/');
                if (entry.EntryType is not (System.Formats.Tar.TarEntryType.RegularFile or System.Formats.Tar.TarEntryType.V7RegularFile) ||
                    !wanted.Contains(path))
                    continue;
                using var content = new MemoryStream();
                if (entry.DataStream is { } data) await data.CopyToAsync(content, ct);
                files.Add(new ImageFile(path, content.ToArray(), entry.Mode));
            }
            return files;
        }, ct);
    }

    // The engine's archive stream may end without tar's closing zero blocks.
    private static async Task<System.Formats.Tar.TarEntry?> NextEntryAsync(System.Formats.Tar.TarReader tar, CancellationToken ct)
    {
        try
        {
            return await tar.GetNextEntryAsync(copyData: false, ct);
        }
        catch (EndOfStreamException)
        {
            return null;
        }
    }

    private static string CommonFolder(string a, string b)
    {
        while (a != b && !(b.StartsWith(a + "/", StringComparison.Ordinal)))
            a = a[..Math.Max(0, a.LastIndexOf('/'))];
        return a;
    }

    /// <summary>
    /// Streams an image's whole filesystem as a tar (what <c>docker export</c> gives) to <paramref name="read"/>,
    /// from a container that is created for it, never started, and removed afterwards.
    /// </summary>
    public Task ExportImageAsync(string image, Func<Stream, CancellationToken, Task> read, CancellationToken ct = default) =>
        WithCreatedContainerAsync(image, async id =>
        {
            await using var tar = await Call($"export the filesystem of {image}", () => _client.Containers.ExportContainerAsync(id, ct), ct);
            await read(tar, ct);
            return true;
        }, ct);

    /// <summary>A container of the image that is created (never started), used, and removed whatever happens.</summary>
    private async Task<T> WithCreatedContainerAsync<T>(string image, Func<string, Task<T>> use, CancellationToken ct)
    {
        var id = await CreateContainerAsync(null, image, new ContainerOptions { ReplaceEntrypoint = true }, ["true"], ct);
        try
        {
            return await use(id);
        }
        finally
        {
            await RemoveContainerAsync(id, CancellationToken.None);
        }
    }

    /// <summary>The ids of the containers, running or not, that carry <paramref name="label"/> ("key" or "key=value").</summary>
    public async Task<IReadOnlyList<string>> ListContainersAsync(string label, CancellationToken ct = default)
    {
        var list = await Call("list containers", () => _client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [label] = true } },
        }, ct), ct);
        return list.Select(c => c.ID).ToList();
    }

    /// <summary>Whether a container of that name (or id) exists, running or not.</summary>
    public async Task<bool> ContainerExistsAsync(string nameOrId, CancellationToken ct = default)
    {
        try
        {
            await Call($"inspect container {nameOrId}", () => _client.Containers.InspectContainerAsync(nameOrId, ct), ct);
            return true;
        }
        catch (EngineNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Builds an image from a tar build context through the docker CLI (see <see cref="CliBuilder"/>).
    /// Every output line goes to <paramref name="onOutput"/> as it arrives. Returns the new image id.
    /// A failed build throws <see cref="EngineException"/> with the engine's own error, and tags nothing.
    /// </summary>
    public Task<string> BuildAsync(BuildRequest request, Func<Stream, CancellationToken, Task> writeContext,
        Action<string> onOutput, CancellationToken ct = default) =>
        _builder.BuildAsync(request, writeContext, onOutput, ct);

    /// <summary>The builder that builds (resolved once: which client, BuildKit or classic).</summary>
    public Task<ResolvedBuilder> ResolveBuilderAsync(CancellationToken ct = default) => _builder.ResolveAsync(ct);

    public void Dispose() => _client.Dispose();

    /// <summary>Runs one API call; turns transport and API failures into errors that say what failed and how to fix it.</summary>
    private static async Task<T> Call<T>(string what, Func<Task<T>> call, CancellationToken ct)
    {
        try
        {
            return await call();
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new EngineNotFoundException($"could not {what}: {Message(e)}");
        }
        catch (DockerApiException e)
        {
            throw new EngineException($"could not {what}: {Message(e)}");
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or IOException or TimeoutException
                                   || e.InnerException is SocketException)
        {
            throw Unavailable($"{e.GetBaseException().Message} while trying to {what}");
        }
    }

    private static Task Call(string what, Func<Task> call, CancellationToken ct) =>
        Call(what, async () => { await call(); return true; }, ct);

    /// <summary>The engine's own message: the body is {"message": "..."}.</summary>
    private static string Message(DockerApiException e)
    {
        var body = e.ResponseBody ?? "";
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(body);
            if (doc.RootElement.TryGetProperty("message", out var m)) return m.GetString() ?? body;
        }
        catch (System.Text.Json.JsonException)
        {
        }
        return body.Trim().Length > 0 ? body.Trim() : e.StatusCode.ToString();
    }

    internal static EngineUnavailableException Unavailable(string reason) => new(
        "No Docker engine is reachable (" + reason + "). Start one: " +
        "`sudo systemctl start docker`, or `sudo dockerd >/var/log/dockerd.log 2>&1 &` where there is no systemd, " +
        "or point DOCKER_HOST at a running engine.");

    /// <summary>A tag reference ("repo:tag", "repo"), as opposed to an id or a digest reference.</summary>
    private static bool IsTag(string reference) =>
        !reference.Contains('@') && !reference.StartsWith("sha256:", StringComparison.Ordinal) &&
        !(reference.Length is 12 or 64 && reference.All(Uri.IsHexDigit));

    private static string WithTag(string reference) => SplitTag(reference) is var (r, t) ? $"{r}:{t}" : reference;

    /// <summary>"host:5000/repo:tag" gives ("host:5000/repo", "tag"); no tag gives "latest".</summary>
    internal static (string Repository, string Tag) SplitTag(string reference)
    {
        var slash = reference.LastIndexOf('/');
        var colon = reference.LastIndexOf(':');
        return colon > slash ? (reference[..colon], reference[(colon + 1)..]) : (reference, "latest");
    }

    /// <summary>"repo:tag@sha256:..." gives the repository, the tag and the digest.</summary>
    internal static (string Repository, string Tag, string? Digest) SplitReference(string reference)
    {
        var at = reference.IndexOf('@');
        var digest = at < 0 ? null : reference[(at + 1)..];
        var (repository, tag) = SplitTag(at < 0 ? reference : reference[..at]);
        return (repository, tag, digest);
    }

    /// <summary>Progress messages of a pull, push or import: status lines to the log (once each), the first error kept.</summary>
    private sealed class MessageLog(Action<string>? log) : IProgress<JSONMessage>
    {
        private readonly HashSet<string> _seen = [];
        public string? Error { get; private set; }

        public void Report(JSONMessage value)
        {
            if (value.Error is { Message: { Length: > 0 } error }) Error ??= error;
            // Per-layer status changes, not every byte of progress.
            if (log is null || value.Status is not { Length: > 0 } status || value.Progress is { Current: > 0 }) return;
            var line = value.ID is { Length: > 0 } id ? $"{id}: {status}" : status;
            if (_seen.Add(line)) log(line);
        }
    }
}

/// <summary>The engine's version, Engine API version and platform (architecture in Go's names: amd64, arm64).</summary>
public sealed record EngineVersion(string Version, string ApiVersion, string Os, string Arch);

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

/// <summary>A regular file read from an image.</summary>
public sealed record ImageFile(string Path, byte[] Content, UnixFileMode Mode);

/// <summary>What a command in a container gave: its exit code and output.</summary>
public sealed record ExecResult(int ExitCode, string StdOut, string StdErr);

/// <summary>What one docker build needs. The context itself is streamed separately as a tar.</summary>
/// <param name="Dockerfile">The Dockerfile's path inside the context.</param>
/// <param name="Network">null for the engine's default; "host" to build with host networking.</param>
public sealed record BuildRequest(
    string Dockerfile,
    IReadOnlyDictionary<string, string> BuildArgs,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<string> Tags,
    string? Network)
{
    /// <summary>Build every step again, ignoring the builder's cache (a truly cold build).</summary>
    public bool NoCache { get; init; }
}

public sealed record ImageInfo(string Id, IReadOnlyList<string> RepoTags, IReadOnlyDictionary<string, string> Labels, long Size,
    DateTime Created = default);

/// <summary>The engine refused or failed an operation; the message carries the engine's own error.</summary>
public class EngineException(string message) : Exception(message);

/// <summary>No engine answers; the message says how to start one.</summary>
public sealed class EngineUnavailableException(string message) : EngineException(message);

/// <summary>The image or container named does not exist.</summary>
public sealed class EngineNotFoundException(string message) : EngineException(message);
