using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Docker.DotNet.Models;

namespace Strata.Engine;

/// <summary>
/// Registry credentials as `docker login` stored them: the docker config file ($DOCKER_CONFIG or
/// ~/.docker/config.json), its `auths` entries or a credential helper (`credHelpers`, `credsStore`).
/// The secret is handed to the engine only; it is never logged, put in an argv or the environment.
/// </summary>
public static class RegistryAuth
{
    private const string DockerHubKey = "https://index.docker.io/v1/";

    /// <summary>The registry host of a reference: "localhost:5000/x:y" gives "localhost:5000"; Docker Hub names give "docker.io".</summary>
    public static string Registry(string reference)
    {
        var slash = reference.IndexOf('/');
        if (slash < 0) return "docker.io";
        var first = reference[..slash];
        return first.Contains('.') || first.Contains(':') || first == "localhost" ? first : "docker.io";
    }

    /// <summary>The credentials for the reference's registry; null when none are stored (anonymous).</summary>
    public static AuthConfig? For(string reference, string? configFile = null)
    {
        configFile ??= Path.Combine(Environment.GetEnvironmentVariable("DOCKER_CONFIG") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker"), "config.json");
        if (!File.Exists(configFile)) return null;
        var registry = Registry(reference);
        var key = registry == "docker.io" ? DockerHubKey : registry;

        using var doc = JsonDocument.Parse(File.ReadAllText(configFile));
        var root = doc.RootElement;
        if (root.TryGetProperty("credHelpers", out var helpers) && helpers.TryGetProperty(key, out var helper) && helper.GetString() is { } h)
            return FromHelper(h, key);
        if (root.TryGetProperty("auths", out var auths))
            foreach (var entry in auths.EnumerateObject())
                if (Host(entry.Name) == Host(key) && entry.Value.TryGetProperty("auth", out var auth) && auth.GetString() is { Length: > 0 } a)
                {
                    var pair = Encoding.UTF8.GetString(Convert.FromBase64String(a));
                    var colon = pair.IndexOf(':');
                    if (colon < 0) throw new EngineException($"{configFile}: the stored login for {registry} is malformed; run docker login {registry} again.");
                    return new AuthConfig { Username = pair[..colon], Password = pair[(colon + 1)..], ServerAddress = key };
                }
        if (root.TryGetProperty("credsStore", out var store) && store.GetString() is { Length: > 0 } s)
            return FromHelper(s, key);
        return null;
    }

    // "https://index.docker.io/v1/" and "index.docker.io" name the same registry.
    private static string Host(string key) =>
        Uri.TryCreate(key, UriKind.Absolute, out var uri) && uri.Host.Length > 0 ? uri.Authority : key.TrimEnd('/');

    /// <summary>docker-credential-NAME get: the server on stdin, {"Username","Secret"} on stdout.</summary>
    private static AuthConfig? FromHelper(string name, string server)
    {
        var psi = new ProcessStartInfo("docker-credential-" + name)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("get");
        Process process;
        try
        {
            process = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new EngineException($"The docker config names the credential helper docker-credential-{name}, which is not installed; install it or run docker login again.");
        }
        using (process)
        {
            process.StandardInput.Write(server);
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            // "credentials not found in native keychain": anonymous.
            if (process.ExitCode != 0) return null;
            using var doc = JsonDocument.Parse(output);
            return new AuthConfig
            {
                Username = doc.RootElement.GetProperty("Username").GetString(),
                Password = doc.RootElement.GetProperty("Secret").GetString(),
                ServerAddress = server,
            };
        }
    }
}
