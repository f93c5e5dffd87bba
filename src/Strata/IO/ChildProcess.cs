using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Strata.IO;

/// <summary>
/// Runs a program with its stdout and stderr read line by line as they come; its stdin is written by
/// the caller or closed at once (a child never reads the user's terminal).
/// </summary>
internal static class ChildProcess
{
    /// <summary>
    /// Runs <paramref name="file"/> to its end and returns its exit code. The two line callbacks are never
    /// called at the same time. A stdin writer that finds the program gone is not an error: its exit code says why.
    /// When <paramref name="ct"/> is cancelled the program is stopped and the cancellation rethrown: with a
    /// <paramref name="stopGrace"/>, SIGTERM first (so its own cleanup runs) and its whole tree killed only if it
    /// is still there after the grace; without one, its whole tree is killed at once.
    /// With <paramref name="readStdout"/>, stdout is that reader's, as bytes (a tar stream), instead of
    /// <paramref name="onStdOut"/>'s lines; if the reader fails, the program is killed and the failure rethrown.
    /// With <paramref name="ownProcessGroup"/>, the program runs in a session and process group of its own (setsid) with
    /// /dev/null as its stdin, and that whole group is killed when it ends, however it ends (a machine such as linux.uml
    /// or QEMU): what it started goes with it, even a process that left its tree. (Not a closed pipe: linux.uml's console
    /// on a pipe's end hangs up, and what the guest writes after that is lost.)
    /// </summary>
    public static async Task<int> RunAsync(string file, IEnumerable<string> args, Action<string>? onStdOut, Action<string>? onStdErr,
        CancellationToken ct, IReadOnlyDictionary<string, string>? environment = null,
        Func<Stream, CancellationToken, Task>? writeStdin = null, TimeSpan? stopGrace = null, string? workingDirectory = null,
        Func<Stream, CancellationToken, Task>? readStdout = null, bool ownProcessGroup = false)
    {
        if (readStdout is not null && onStdOut is not null)
            throw new ArgumentException("stdout goes to readStdout or to onStdOut, not both.", nameof(onStdOut));
        if (ownProcessGroup && writeStdin is not null)
            throw new ArgumentException("a program in a process group of its own reads /dev/null, not a stdin writer.", nameof(writeStdin));
        // sh and setsid exec the program in place (a child of this process leads no group): its pid is the group's id.
        // Both are this host's, found on this process's PATH: the environment given may set the program's own PATH.
        var setsid = ownProcessGroup
            ? Executables.Find("setsid") ?? throw new InvalidOperationException("setsid (util-linux) is not on the PATH: it starts a machine in a process group of its own.")
            : null;
        var psi = new ProcessStartInfo(ownProcessGroup ? "/bin/sh" : file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = workingDirectory ?? "",
        };
        if (ownProcessGroup) foreach (var arg in new[] { "-c", "exec \"$0\" \"$@\" </dev/null", setsid!, file }) psi.ArgumentList.Add(arg);
        foreach (var arg in args) psi.ArgumentList.Add(arg);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}.");
        var gate = new Lock();
        async Task Pump(StreamReader reader, Action<string>? onLine)
        {
            while (await reader.ReadLineAsync(CancellationToken.None) is { } line)
                lock (gate) onLine?.Invoke(line);
        }
        async Task Read(Func<Stream, CancellationToken, Task> reader)
        {
            var stdout = process.StandardOutput.BaseStream;
            try
            {
                await reader(stdout, ct);
            }
            catch
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                throw;
            }
            await stdout.CopyToAsync(Stream.Null, CancellationToken.None); // what the reader left: the program never blocks on a full pipe
        }
        var pumps = Task.WhenAll(readStdout is null ? Pump(process.StandardOutput, onStdOut) : Read(readStdout),
            Pump(process.StandardError, onStdErr));
        try
        {
            try
            {
                if (writeStdin is not null) await writeStdin(process.StandardInput.BaseStream, ct);
            }
            catch (IOException)
            {
                // The program stopped reading (it failed): its exit code and output tell why.
            }
            finally
            {
                try { process.StandardInput.Close(); } catch (IOException) { }
            }
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await StopAsync(process, stopGrace);
            if (ownProcessGroup) await KillGroupAsync(process.Id);
            await pumps;
            throw;
        }
        // (before the pumps: a process left in the group would hold its output open)
        if (ownProcessGroup) await KillGroupAsync(process.Id);
        await pumps;
        return process.ExitCode;
    }

    /// <summary>SIGKILL to every process of the group; a group that is already gone is no error.</summary>
    private static async Task KillGroupAsync(int group)
    {
        var kill = new ProcessStartInfo("kill", ["-KILL", "--", "-" + group.ToString(CultureInfo.InvariantCulture)])
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var killer = Process.Start(kill);
        if (killer is null) return;
        await Task.WhenAll(killer.StandardOutput.ReadToEndAsync(), killer.StandardError.ReadToEndAsync());
        await killer.WaitForExitAsync(CancellationToken.None);
    }

    private static async Task StopAsync(Process process, TimeSpan? grace)
    {
        if (grace is { } patience)
        {
            try
            {
                using (var term = Process.Start(new ProcessStartInfo("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false }))
                    if (term is not null) await term.WaitForExitAsync(CancellationToken.None);
                using var wait = new CancellationTokenSource(patience);
                await process.WaitForExitAsync(wait.Token);
                return;
            }
            catch (Exception e) when (e is OperationCanceledException or System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                // still there after the grace (or it could not be asked): killed below
            }
        }
        try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        await process.WaitForExitAsync(CancellationToken.None);
    }
}
