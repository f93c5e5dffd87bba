using System.Net;
using System.Net.Sockets;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Strata.Engine;

/// <summary>
/// One Engine API call, with its failures turned into errors that say what failed and how to fix it:
/// 404 is <see cref="EngineNotFoundException"/>, an unreachable engine <see cref="EngineUnavailableException"/>
/// (with how to start one), anything else <see cref="EngineException"/> with the engine's own message.
/// </summary>
internal static class EngineCall
{
    public static async Task<T> RunAsync<T>(string what, Func<Task<T>> call, CancellationToken ct)
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

    public static Task RunAsync(string what, Func<Task> call, CancellationToken ct) =>
        RunAsync(what, async () => { await call(); return true; }, ct);

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

    public static EngineUnavailableException Unavailable(string reason) => new(
        "No Docker engine is reachable (" + reason + "). Start one: " +
        "`sudo systemctl start docker`, or `sudo dockerd >/var/log/dockerd.log 2>&1 &` where there is no systemd, " +
        "or point DOCKER_HOST at a running engine.");
}

/// <summary>Progress messages of a pull, push or import: status lines to the log (once each), the first error kept.</summary>
internal sealed class ProgressMessages(Action<string>? log) : IProgress<JSONMessage>
{
    private readonly HashSet<string> _seen = [];
    public string? Error { get; private set; }

    public void Report(JSONMessage value)
    {
        if (value.Error is { Message: { Length: > 0 } error }) Error ??= error;
        // Per-layer status changes, not every byte of progress.
        if (log is null || value.Status is not { Length: > 0 } status || value.Progress is { Current: > 0 }) return;
        var line = value.ID is { Length: > 0 } id ? $"{id}: {status}" : status;
        lock (_seen)
            if (_seen.Add(line)) log(line);
    }
}
