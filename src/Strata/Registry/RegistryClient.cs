using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using Strata.Oci;

namespace Strata.Registry;

/// <summary>A registry answered something other than "here it is" or "absent". Never read as absent.</summary>
public class RegistryException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The registry refused the credentials (or wants some): a 401/403 after authenticating.</summary>
public sealed class RegistryAuthException(string message) : RegistryException(message);

/// <summary>An image as the registry holds it: its manifest digest and the labels of its config.</summary>
/// <param name="Name">The reference it was found by (its tag or digest), in full.</param>
public sealed record RemoteImage(ImageReference Name, Digest Digest, IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<RemoteLayer> Layers)
{
    /// <summary>The image by its manifest digest alone (<c>repo@sha256:…</c>): what a pull names, so it gets exactly what was found.</summary>
    public ImageReference Pinned => Name.WithDigest(Digest) with { Tag = null };

    /// <summary>Compressed bytes of all its layers.</summary>
    public long Size => Layers.Sum(l => l.Size);
}

/// <summary>A layer blob of a manifest.</summary>
public sealed record RemoteLayer(string Digest, long Size);

/// <summary>A manifest (image manifest, index or artefact) exactly as the registry holds it.</summary>
public sealed record RegistryManifest(byte[] Body, string MediaType, Digest Digest);

public sealed record RegistryClientOptions
{
    /// <summary>The architecture picked from a multi-platform index.</summary>
    public string Architecture { get; init; } = "amd64";
    public int MaxRetries { get; init; } = 3;
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>One attempt at uploading a blob (a layer of hundreds of MiB to a remote registry takes minutes).</summary>
    public TimeSpan UploadTimeout { get; init; } = TimeSpan.FromMinutes(30);
}

/// <summary>
/// Strata's own few calls to the OCI distribution API (no OCI client library is on the reachable
/// NuGet): does a tag exist and with which key label, tag an existing manifest anew (moving
/// tags, no re-upload), upload blobs and manifests (artefacts, indexes, and the images of a
/// --reproducible run). Pulls, and the pushes of other runs, go through the engine. Authentication follows
/// the registry's challenge: Basic (htpasswd) or the bearer-token flow of ghcr.io and Docker Hub.
/// Only a 404 means absent; a refusal, a 5xx after retries or a timeout is an error naming the
/// registry and the image. Credentials never appear in a message or a log line.
/// </summary>
public sealed class RegistryClient : IRegistry
{
    /// <summary>Registry 2.8 answers 404 to a HEAD that lists no OCI types, even for a manifest it has.</summary>
    public static readonly string[] ManifestTypes =
    [
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ];

    private readonly RegistryLocation _location;
    private readonly RegistryLogin _login;
    // Asked of the login when the registry first wants one (a 401 challenge); kept for the error messages.
    private RegistryCredentials? _credentials;
    private readonly RegistryClientOptions _options;
    private readonly HttpClient _http;
    private readonly ResiliencePipeline<HttpResponseMessage> _retry;
    private readonly ResiliencePipeline<HttpResponseMessage> _uploadRetry;
    private readonly Dictionary<string, AuthenticationHeaderValue> _auth = []; // by scope

    public RegistryClient(RegistryLocation location, RegistryLogin login, RegistryClientOptions? options = null,
        HttpMessageHandler? handler = null)
    {
        _location = location;
        _login = login;
        _options = options ?? new RegistryClientOptions();
        _http = handler is null ? new HttpClient() : new HttpClient(handler);
        _http.BaseAddress = location.BaseUri;
        _http.Timeout = Timeout.InfiniteTimeSpan; // per attempt, below
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("strata");
        _retry = Retries(_options.RequestTimeout);
        _uploadRetry = Retries(_options.UploadTimeout);
    }

    private ResiliencePipeline<HttpResponseMessage> Retries(TimeSpan attemptTimeout) => new ResiliencePipelineBuilder<HttpResponseMessage>()
        .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
        {
            MaxRetryAttempts = Math.Max(1, _options.MaxRetries),
            Delay = _options.RetryDelay,
            BackoffType = DelayBackoffType.Exponential,
            ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                .Handle<HttpRequestException>()
                .Handle<TimeoutRejectedException>()
                .HandleResult(r => (int)r.StatusCode >= 500),
        })
        .AddTimeout(attemptTimeout)
        .Build();

    public RegistryLocation Location => _location;

    /// <summary>The image under <paramref name="tag"/>, or null when the registry says 404.</summary>
    public async Task<RemoteImage?> FindAsync(ImageReference image, CancellationToken ct = default)
    {
        var (name, tag) = (NameOf(image), ManifestOf(image));
        var what = image.ToString();
        using (var head = await SendAsync(HttpMethod.Head, $"v2/{name}/manifests/{tag}", name, push: false, what, ct))
        {
            if (head.StatusCode == HttpStatusCode.NotFound) return null;
            Ensure(head, what, "look up");
        }
        var (manifest, mediaType, digest) = await GetManifestAsync(name, tag, what, ct);
        using var doc = JsonDocument.Parse(manifest);
        var root = doc.RootElement;
        if (mediaType.Contains("index", StringComparison.Ordinal) || mediaType.Contains("list", StringComparison.Ordinal))
        {
            var chosen = root.GetProperty("manifests").EnumerateArray().FirstOrDefault(m =>
                m.TryGetProperty("platform", out var p) && p.GetProperty("os").GetString() == "linux" &&
                p.GetProperty("architecture").GetString() == _options.Architecture);
            if (chosen.ValueKind != JsonValueKind.Object)
                throw new RegistryException($"{what} has no linux/{_options.Architecture} image in its index.");
            var (inner, _, _) = await GetManifestAsync(name, chosen.GetProperty("digest").GetString()!, what, ct);
            return await DescribeAsync(image, digest, inner, what, ct);
        }
        return await DescribeAsync(image, digest, manifest, what, ct);
    }

    /// <summary>
    /// Points <paramref name="newTag"/> at the manifest <paramref name="sourceReference"/> (a tag or a
    /// digest) names: the same bytes put under another tag, nothing uploaded again.
    /// </summary>
    public async Task TagAsync(ImageReference source, ImageReference target, CancellationToken ct = default)
    {
        var name = NameOf(source);
        if (NameOf(target) != name || target.Tag is not { } newTag)
            throw new ArgumentException($"{target} is not a tag of {source.Repository}: a registry tags within one repository.", nameof(target));
        var what = target.ToString();
        var (manifest, mediaType, _) = await GetManifestAsync(name, ManifestOf(source), what, ct);
        using var put = await SendAsync(HttpMethod.Put, $"v2/{name}/manifests/{newTag}", name, push: true, what, ct,
            () => new ByteArrayContent(manifest) { Headers = { ContentType = new MediaTypeHeaderValue(mediaType) } });
        Ensure(put, what, "tag");
    }

    /// <summary>The manifest <paramref name="reference"/> (a tag or a digest) names, as stored, or null when the registry says 404.</summary>
    public async Task<RegistryManifest?> FindManifestAsync(ImageReference manifest, CancellationToken ct = default)
    {
        var (name, reference) = (NameOf(manifest), ManifestOf(manifest));
        var what = manifest.ToString();
        using var response = await SendAsync(HttpMethod.Get, $"v2/{name}/manifests/{reference}", name, push: false, what, ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        Ensure(response, what, "read the manifest of");
        var body = await response.Content.ReadAsByteArrayAsync(ct);
        return new RegistryManifest(body, response.Content.Headers.ContentType?.MediaType ?? ManifestTypes[2], DigestOf(response, body));
    }

    /// <summary>
    /// Stores <paramref name="body"/> as a manifest of <paramref name="mediaType"/> under <paramref name="reference"/>
    /// (a tag, or its own digest) and returns its digest. Every blob it names must be pushed first.
    /// </summary>
    public async Task<Digest> PushManifestAsync(ImageReference target, string mediaType, byte[] body, CancellationToken ct = default)
    {
        var (name, reference) = (NameOf(target), ManifestOf(target));
        var what = target.ToString();
        using var put = await SendAsync(HttpMethod.Put, $"v2/{name}/manifests/{reference}", name, push: true, what, ct,
            () => new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue(mediaType) } });
        Ensure(put, what, "push the manifest");
        return DigestOf(put, body);
    }

    /// <summary>
    /// Uploads <paramref name="content"/> as a blob (one monolithic upload: POST, then PUT with its
    /// digest) unless the registry already has it, and returns its digest.
    /// </summary>
    public async Task<Digest> PushBlobAsync(ImageReference repository, byte[] content, CancellationToken ct = default)
    {
        var digest = Digest.Of(content);
        await PushBlobAsync(repository, digest, content.Length, () => new MemoryStream(content, writable: false), ct);
        return digest;
    }

    /// <summary>Whether <paramref name="repository"/> has the blob <paramref name="digest"/> (a HEAD; only a 404 means no).</summary>
    public async Task<bool> HasBlobAsync(ImageReference repository, Digest digest, CancellationToken ct = default)
    {
        var name = NameOf(repository);
        var what = $"{repository.Repository}@{digest}";
        using var head = await SendAsync(HttpMethod.Head, $"v2/{name}/blobs/{digest}", name, push: true, what, ct);
        if (head.IsSuccessStatusCode) return true;
        if (head.StatusCode != HttpStatusCode.NotFound) Ensure(head, what, "look up the blob");
        return false;
    }

    /// <summary>
    /// Uploads the blob <paramref name="digest"/> of <paramref name="size"/> bytes, streamed from what <paramref name="open"/>
    /// gives (opened anew for each attempt), unless the registry has it: one monolithic upload, POST then PUT with the
    /// digest, which the registry checks against the bytes. True when it uploaded, false when the registry had it.
    /// </summary>
    public async Task<bool> PushBlobAsync(ImageReference repository, Digest digest, long size, Func<Stream> open, CancellationToken ct = default)
    {
        if (await HasBlobAsync(repository, digest, ct)) return false;
        var name = NameOf(repository);
        var what = $"{repository.Repository}@{digest}";
        using var start = await SendAsync(HttpMethod.Post, $"v2/{name}/blobs/uploads/", name, push: true, what, ct);
        Ensure(start, what, "start the upload of");
        var location = start.Headers.Location
            ?? throw new RegistryException($"{_location.Host} started an upload of {what} but named no upload location.");
        var upload = location.IsAbsoluteUri ? location.ToString() : new Uri(_http.BaseAddress!, location).ToString();
        upload += (upload.Contains('?') ? "&" : "?") + "digest=" + Uri.EscapeDataString(digest.ToString());
        using var put = await SendAsync(HttpMethod.Put, upload, name, push: true, what, ct, () => new StreamContent(open())
        {
            Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream"), ContentLength = size },
        }, upload: true);
        Ensure(put, what, "upload");
        return true;
    }

    /// <summary>The blob <paramref name="digest"/> names, or null when the registry says 404.</summary>
    public async Task<byte[]?> FindBlobAsync(ImageReference repository, Digest digest, CancellationToken ct = default)
    {
        var name = NameOf(repository);
        var what = $"{repository.Repository}@{digest}";
        using var response = await SendAsync(HttpMethod.Get, $"v2/{name}/blobs/{digest}", name, push: false, what, ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        Ensure(response, what, "read the blob");
        return await response.Content.ReadAsByteArrayAsync(ct);
    }

    /// <summary>GET /v2/NAME/referrers/DIGEST (OCI distribution 1.1); null on 404: the registry has no referrers API.</summary>
    public async Task<RegistryManifest?> FindReferrersAsync(ImageReference subject, CancellationToken ct = default)
    {
        var name = NameOf(subject);
        var digest = subject.Digest ?? throw new ArgumentException($"{subject} is not pinned by digest: the referrers API asks by digest.", nameof(subject));
        var what = $"the referrers of {subject.Repository}@{digest}";
        using var response = await SendAsync(HttpMethod.Get, $"v2/{name}/referrers/{digest}", name, push: false, what, ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        Ensure(response, what, "list");
        var body = await response.Content.ReadAsByteArrayAsync(ct);
        return new RegistryManifest(body, response.Content.Headers.ContentType?.MediaType ?? ManifestTypes[1], DigestOf(response, body));
    }

    // Where a manifest's digest enters: the registry's header, parsed here once (or the body's own, when the header is missing).
    private static Digest DigestOf(HttpResponseMessage response, byte[] body) =>
        response.Headers.TryGetValues("Docker-Content-Digest", out var d) ? Digest.Parse(d.First()) : Digest.Of(body);

    /// <summary>The repository's name inside this registry (what /v2/&lt;name&gt;/ takes); a reference to another registry is a caller's mistake.</summary>
    private string NameOf(ImageReference image) =>
        image.Registry == _location.Host ? image.Path
            : throw new ArgumentException($"{image} is not an image of {_location.Host}: name it with {nameof(RegistryLocation)}.{nameof(RegistryLocation.Reference)}.", nameof(image));

    /// <summary>What names the manifest: the digest when the reference has one, else its tag.</summary>
    private static string ManifestOf(ImageReference image) =>
        image.Digest ?? image.Tag ?? throw new ArgumentException($"{image} names no tag or digest: a registry manifest is asked by one.", nameof(image));

    private async Task<RemoteImage> DescribeAsync(ImageReference image, Digest digest, byte[] manifest, string what, CancellationToken ct)
    {
        var name = NameOf(image);
        using var doc = JsonDocument.Parse(manifest);
        var config = doc.RootElement.GetProperty("config").GetProperty("digest").GetString()!;
        var layers = doc.RootElement.TryGetProperty("layers", out var list)
            ? list.EnumerateArray().Select(l => new RemoteLayer(l.GetProperty("digest").GetString()!, l.TryGetProperty("size", out var s) ? s.GetInt64() : 0)).ToList()
            : [];
        using var blob = await SendAsync(HttpMethod.Get, $"v2/{name}/blobs/{config}", name, push: false, what, ct);
        Ensure(blob, what, "read the config of");
        using var configDoc = JsonDocument.Parse(await blob.Content.ReadAsByteArrayAsync(ct));
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (configDoc.RootElement.TryGetProperty("config", out var c) && c.TryGetProperty("Labels", out var l) && l.ValueKind == JsonValueKind.Object)
            foreach (var label in l.EnumerateObject()) labels[label.Name] = label.Value.GetString() ?? "";
        return new RemoteImage(image, digest, labels, layers);
    }

    private async Task<(byte[] Body, string MediaType, Digest Digest)> GetManifestAsync(string name, string reference, string what, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Get, $"v2/{name}/manifests/{reference}", name, push: false, what, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
            throw new RegistryException($"{_location}: {what} names manifest '{reference}', which the registry does not have.");
        Ensure(response, what, "read the manifest of");
        var body = await response.Content.ReadAsByteArrayAsync(ct);
        return (body, response.Content.Headers.ContentType?.MediaType ?? ManifestTypes[2], DigestOf(response, body));
    }

    private void Ensure(HttpResponseMessage response, string what, string action)
    {
        if (response.IsSuccessStatusCode) return;
        var status = (int)response.StatusCode;
        if (status is 401 or 403)
            throw new RegistryAuthException(
                $"{_location.Host} refused to {action} {what} ({status} {response.ReasonPhrase}) " +
                (_credentials is null
                    ? "without credentials: log in (docker login " + _location.Host + ") or set STRATA_REGISTRY_USER and STRATA_REGISTRY_PASSWORD."
                    : $"with the credentials of {_credentials}: check the user, the password or token, and its rights on the repository."));
        throw new RegistryException($"{_location.Host} answered {status} {response.ReasonPhrase} when asked to {action} {what}.");
    }

    /// <summary>Sends with retries, answering an auth challenge once (Basic, or Bearer with a token for the scope).</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string name, bool push, string what,
        CancellationToken ct, Func<HttpContent>? content = null, bool upload = false)
    {
        var scope = $"repository:{name}:{(push ? "pull,push" : "pull")}";
        var response = await SendOnceAsync(method, path, scope, what, ct, content, upload);
        if (response.StatusCode != HttpStatusCode.Unauthorized) return response;

        var challenge = response.Headers.WwwAuthenticate.FirstOrDefault();
        response.Dispose();
        _credentials = await _login.GetAsync(ct);
        if (challenge is null)
            throw new RegistryAuthException($"{_location.Host} answered 401 for {what} without saying how to authenticate.");
        if (challenge.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            if (_credentials is null)
                throw new RegistryAuthException($"{_location.Host} needs a login for {what}: docker login {_location.Host}, or set STRATA_REGISTRY_USER and STRATA_REGISTRY_PASSWORD.");
            _auth[scope] = new AuthenticationHeaderValue("Basic", _credentials.BasicHeader);
        }
        else if (challenge.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            _auth[scope] = new AuthenticationHeaderValue("Bearer", await TokenAsync(challenge.Parameter ?? "", scope, what, ct));
        }
        else
        {
            throw new RegistryAuthException($"{_location.Host} asks for '{challenge.Scheme}' authentication, which Strata does not speak.");
        }
        return await SendOnceAsync(method, path, scope, what, ct, content, upload);
    }

    private async Task<HttpResponseMessage> SendOnceAsync(HttpMethod method, string path, string scope, string what,
        CancellationToken ct, Func<HttpContent>? content, bool upload)
    {
        try
        {
            return await (upload ? _uploadRetry : _retry).ExecuteAsync(async token =>
            {
                using var request = new HttpRequestMessage(method, path);
                foreach (var type in ManifestTypes) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
                if (_auth.TryGetValue(scope, out var auth)) request.Headers.Authorization = auth;
                if (content is not null) request.Content = content();
                return await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, token);
            }, ct);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException)
        {
            throw new RegistryException(
                $"{_location.Host} did not answer for {what} after {_options.MaxRetries} retries ({e.Message}). Is the registry up and reachable?", e);
        }
    }

    /// <summary>The bearer-token flow: GET realm?service=..&amp;scope=.. (with Basic credentials when there are some).</summary>
    private async Task<string> TokenAsync(string parameters, string scope, string what, CancellationToken ct)
    {
        var fields = ParseChallenge(parameters);
        if (!fields.TryGetValue("realm", out var realm) || !Uri.TryCreate(realm, UriKind.Absolute, out var realmUri))
            throw new RegistryAuthException($"{_location.Host} asked for a bearer token for {what} but named no token service (realm).");
        var query = new StringBuilder();
        if (fields.TryGetValue("service", out var service)) query.Append("service=").Append(Uri.EscapeDataString(service)).Append('&');
        query.Append("scope=").Append(Uri.EscapeDataString(fields.GetValueOrDefault("scope") ?? scope));
        var uri = new UriBuilder(realmUri) { Query = query.ToString() }.Uri;

        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (_credentials is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Basic", _credentials.BasicHeader);
        HttpResponseMessage response;
        try
        {
            response = await _retry.ExecuteAsync(async token => await _http.SendAsync(request.Clone(), token), ct);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException)
        {
            throw new RegistryException($"the token service of {_location.Host} ({realmUri.Host}) did not answer for {what} ({e.Message}).", e);
        }
        using (response)
        {
            if ((int)response.StatusCode is 401 or 403)
                throw new RegistryAuthException(
                    $"the token service of {_location.Host} refused a token for {what} ({(int)response.StatusCode}) " +
                    (_credentials is null ? "without credentials: log in or set STRATA_REGISTRY_USER and STRATA_REGISTRY_PASSWORD."
                        : $"with the credentials of {_credentials}: check them."));
            if (!response.IsSuccessStatusCode)
                throw new RegistryException($"the token service of {_location.Host} answered {(int)response.StatusCode} for {what}.");
            using var doc = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(ct));
            foreach (var field in new[] { "token", "access_token" })
                if (doc.RootElement.TryGetProperty(field, out var t) && t.GetString() is { Length: > 0 } value) return value;
            throw new RegistryAuthException($"the token service of {_location.Host} answered without a token for {what}.");
        }
    }

    /// <summary>realm="https://auth.example/token",service="registry",scope="repository:x:pull"</summary>
    internal static Dictionary<string, string> ParseChallenge(string parameters)
    {
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(parameters, "([A-Za-z]+)=\"([^\"]*)\""))
            fields[m.Groups[1].Value] = m.Groups[2].Value;
        return fields;
    }

    public void Dispose() => _http.Dispose();
}

internal static class HttpRequestMessageExtensions
{
    /// <summary>A request can be sent once: retries send a copy (bodiless GETs only).</summary>
    public static HttpRequestMessage Clone(this HttpRequestMessage request)
    {
        var copy = new HttpRequestMessage(request.Method, request.RequestUri);
        foreach (var header in request.Headers) copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
        return copy;
    }
}
