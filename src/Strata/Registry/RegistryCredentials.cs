using System.Text;
using System.Text.Json;

namespace Strata.Registry;

/// <summary>A user name and secret for a registry. <see cref="ToString"/> never shows the secret.</summary>
public sealed class RegistryCredentials(string user, string secret, string source)
{
    public string User { get; } = user;
    internal string Secret { get; } = secret;
    /// <summary>Where they came from, for messages: "STRATA_REGISTRY_PASSWORD", "~/.docker/config.json", "docker-credential-pass".</summary>
    public string Source { get; } = source;

    internal string BasicHeader => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Secret}"));

    public override string ToString() => $"{User} (from {Source})";

    /// <summary>
    /// The credentials for <paramref name="host"/>, in this order: STRATA_REGISTRY_USER with
    /// STRATA_REGISTRY_PASSWORD (or a password read from stdin by the caller), then what the engine's
    /// client knows (the docker config file's auths, its credential helper). Null: anonymous.
    /// </summary>
    public static async Task<RegistryCredentials?> FindAsync(string host, Func<string, string?> environment, string? passwordFromStdin = null,
        CancellationToken ct = default)
    {
        var user = environment("STRATA_REGISTRY_USER");
        var password = passwordFromStdin ?? environment("STRATA_REGISTRY_PASSWORD");
        if (!string.IsNullOrEmpty(user) && !string.IsNullOrEmpty(password))
            return new RegistryCredentials(user, password, passwordFromStdin is null ? "STRATA_REGISTRY_PASSWORD" : "stdin");
        return await FromDockerConfigAsync(host, environment, ct);
    }

    /// <summary>The docker client's config (DOCKER_CONFIG or ~/.docker/config.json): credHelpers, credsStore, then auths.</summary>
    public static async Task<RegistryCredentials?> FromDockerConfigAsync(string host, Func<string, string?> environment, CancellationToken ct = default)
    {
        var dir = environment("DOCKER_CONFIG") is { Length: > 0 } d ? d
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");
        var path = Path.Combine(dir, "config.json");
        if (!File.Exists(path)) return null;
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;

        string? helper = null;
        if (root.TryGetProperty("credHelpers", out var helpers) && helpers.TryGetProperty(host, out var h)) helper = h.GetString();
        else if (root.TryGetProperty("credsStore", out var store)) helper = store.GetString();
        if (!string.IsNullOrEmpty(helper) && await FromHelperAsync(helper, host, environment, ct: ct) is { } fromHelper) return fromHelper;

        if (root.TryGetProperty("auths", out var auths))
            foreach (var entry in auths.EnumerateObject())
            {
                if (!SameHost(entry.Name, host)) continue;
                if (entry.Value.TryGetProperty("identitytoken", out var token) && token.GetString() is { Length: > 0 } t)
                    return new RegistryCredentials("<token>", t, path);
                if (entry.Value.TryGetProperty("auth", out var auth) && auth.GetString() is { Length: > 0 } encoded)
                {
                    var pair = Encoding.UTF8.GetString(Convert.FromBase64String(encoded)).Split(':', 2);
                    if (pair.Length == 2) return new RegistryCredentials(pair[0], pair[1], path);
                }
            }
        return null;
    }

    /// <summary>The host a docker config file keys the reference's registry by: Docker Hub's is index.docker.io.</summary>
    public static string ConfigHost(Oci.ImageReference reference) =>
        reference.Registry == Oci.ImageReference.DockerHub ? "index.docker.io" : reference.Registry;

    private static bool SameHost(string configKey, string host)
    {
        var key = configKey.Contains("://", StringComparison.Ordinal) ? new Uri(configKey).Authority : configKey.Split('/')[0];
        return string.Equals(key, host, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>How long a credential helper may take to answer (one waiting on a locked keychain or a prompt never would).</summary>
    public static readonly TimeSpan HelperTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Asks a docker credential helper (<c>docker-credential-NAME get</c> on the PATH, the host on stdin); the secret
    /// stays in memory. Null when it has none for the host (it exits non-zero) or is not installed: the config's
    /// auths are tried next, else the registry is asked anonymously. A helper that does not answer within
    /// <paramref name="timeout"/> (default <see cref="HelperTimeout"/>) is stopped, and that is an error naming it.
    /// </summary>
    internal static async Task<RegistryCredentials?> FromHelperAsync(string helper, string host, Func<string, string?> environment,
        TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var name = "docker-credential-" + helper;
        if (IO.Executables.Find(name, environment("PATH") ?? "") is not { } path) return null;
        var limit = timeout ?? HelperTimeout;
        var output = new StringBuilder();
        int exitCode;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(limit);
        try
        {
            // Its stderr is read and dropped: it may repeat what it was given.
            exitCode = await IO.ChildProcess.RunAsync(path, ["get"], line => output.AppendLine(line), null, deadline.Token,
                writeStdin: (stdin, token) => stdin.WriteAsync(Encoding.UTF8.GetBytes(host), token).AsTask());
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new InvalidOperationException($"{path} get did not answer within {limit.TotalSeconds:0} s for {host} and was stopped; " +
                "check the credential helper named in the docker config (credHelpers or credsStore): it may be waiting for a locked keychain.");
        }
        if (exitCode != 0) return null; // "credentials not found"
        try
        {
            using var answer = JsonDocument.Parse(output.ToString());
            var user = answer.RootElement.GetProperty("Username").GetString() ?? "";
            var secret = answer.RootElement.GetProperty("Secret").GetString() ?? "";
            return secret.Length == 0 ? null : new RegistryCredentials(user, secret, name);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            // Never echo the answer: it may hold the secret.
            throw new InvalidOperationException($"{path} get answered something other than {{\"Username\": ..., \"Secret\": ...}} for {host}; " +
                "check the credential helper named in the docker config (credHelpers or credsStore).");
        }
    }
}
