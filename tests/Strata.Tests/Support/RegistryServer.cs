using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Strata.Tests.Support;

/// <summary>
/// A real registry (Debian's docker-registry, distribution 2.8) on 127.0.0.1 with temporary storage,
/// optionally behind an htpasswd login. Started per test and stopped (process and folder) on dispose.
/// </summary>
public sealed class RegistryServer : IAsyncDisposable
{
    private readonly string _dir;
    private Process? _process;

    private RegistryServer(string dir, int port)
    {
        _dir = dir;
        Port = port;
    }

    public int Port { get; }
    public string Host => $"127.0.0.1:{Port}";
    public string DataDirectory => Path.Combine(_dir, "data");

    public static async Task<RegistryServer> StartAsync(string? user = null, string? password = null)
    {
        var dir = Directory.CreateTempSubdirectory("strata-registry-").FullName;
        var server = new RegistryServer(dir, FreePort());
        var auth = "";
        if (user is not null)
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "htpasswd"), $"{user}:{BCrypt.Net.BCrypt.HashPassword(password, 5)}\n");
            auth = $"auth:\n  htpasswd:\n    realm: strata-test\n    path: {Path.Combine(dir, "htpasswd")}\n";
        }
        await File.WriteAllTextAsync(Path.Combine(dir, "config.yml"), $"""
            version: 0.1
            log:
              level: error
              accesslog:
                disabled: true
            storage:
              filesystem:
                rootdirectory: {server.DataDirectory}
              delete:
                enabled: true
            http:
              addr: {server.Host}
            {auth}
            """);
        try
        {
            await server.StartProcessAsync();
        }
        catch
        {
            await server.DisposeAsync(); // no process and no folder left when it cannot start
            throw;
        }
        return server;
    }

    /// <summary>Starts the registry (again, on the same port and storage: a restart after <see cref="KillAsync"/>).</summary>
    public async Task StartProcessAsync()
    {
        var psi = new ProcessStartInfo("docker-registry") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("serve");
        psi.ArgumentList.Add(Path.Combine(_dir, "config.yml"));
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 100; i++)
        {
            if (_process.HasExited) throw new InvalidOperationException($"docker-registry exited with {_process.ExitCode} at start.");
            try
            {
                using var r = await http.GetAsync($"http://{Host}/v2/");
                if (r.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException($"docker-registry did not answer on {Host} within 10 s.");
    }

    /// <summary>Kills the registry at once (as a crash would): requests then fail to connect.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
