using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Strata.Tests.Support;

/// <summary>One request the stand-in server received.</summary>
public sealed record SeenRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public bool IsWrite => Method is not ("GET" or "HEAD");

    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var v) ? v : null;
}

/// <summary>
/// A local HTTP server on 127.0.0.1 (random port) standing in for api.github.com and download sites.
/// Routes are exact path+query strings, then the handlers added with <see cref="Fallback"/> (a
/// stateful stand-in repository); anything else answers 404 with GitHub's "Not Found" body.
/// </summary>
public sealed class StandInServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Func<HttpContext, Task>> _routes = new(StringComparer.Ordinal);

    private StandInServer(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = "";
    public ConcurrentQueue<SeenRequest> Requests { get; } = new();

    public static async Task<StandInServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new StandInServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        server.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return server;
    }

    public string Url(string pathAndQuery) => BaseUrl + pathAndQuery;

    public void Map(string pathAndQuery, Func<HttpContext, Task> handler) => _routes[pathAndQuery] = handler;

    public void Json(string pathAndQuery, string json, int status = 200, Action<HttpResponse>? headers = null) =>
        Map(pathAndQuery, async ctx =>
        {
            ctx.Response.StatusCode = status;
            ctx.Response.ContentType = "application/json; charset=utf-8";
            headers?.Invoke(ctx.Response);
            await ctx.Response.WriteAsync(json);
        });

    public void Bytes(string pathAndQuery, byte[] content) =>
        Map(pathAndQuery, async ctx =>
        {
            ctx.Response.ContentType = "application/octet-stream";
            ctx.Response.ContentLength = content.Length;
            await ctx.Response.Body.WriteAsync(content);
        });

    public void Text(string pathAndQuery, string text) =>
        Map(pathAndQuery, ctx => ctx.Response.WriteAsync(text));

    public int Count(string pathAndQuery) => Requests.Count(r => r.PathAndQuery == pathAndQuery);

    /// <summary>Handlers tried in order for requests no exact route takes; one returns true when it answered.</summary>
    public List<Func<HttpContext, string, Task<bool>>> Fallback { get; } = [];

    private async Task HandleAsync(HttpContext ctx)
    {
        var key = ctx.Request.Path.Value + ctx.Request.QueryString.Value;
        var body = await new StreamReader(ctx.Request.Body).ReadToEndAsync();
        Requests.Enqueue(new SeenRequest(ctx.Request.Method, key,
            ctx.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), body));
        if (_routes.TryGetValue(key, out var handler))
        {
            await handler(ctx);
            return;
        }
        foreach (var fallback in Fallback)
            if (await fallback(ctx, body))
                return;
        ctx.Response.StatusCode = 404;
        ctx.Response.ContentType = "application/json; charset=utf-8";
        await ctx.Response.WriteAsync("""{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}""");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
