using System.Text;
using Strata.Vault.Names;
using Strata.Vault.Root;
using Strata.Vault.Secrets;
using Strata.Vault.States;
using Strata.Vault.User;

namespace Strata.Vault.Tests.Fakes;

/// <summary>A clock that advances when slept on, and lets the kernel do its timed work.</summary>
public sealed class FakeClock(FakeKernel kernel) : IClock
{
    public DateTimeOffset Now => kernel.Now;
    /// <summary>Called after each sleep (a signal that arrives while something waits).</summary>
    public Action? OnSleep { get; set; }
    public void Sleep(TimeSpan duration)
    {
        kernel.Advance(duration);
        OnSleep?.Invoke();
    }
}

public sealed class RecordingConsole : IConsole
{
    public StringBuilder Output { get; } = new();
    public StringBuilder Messages { get; } = new();
    public void Out(string line) => Output.AppendLine(line);
    public void Say(string message) => Messages.AppendLine("vault: " + message);
    public string All => Output + "" + Messages;
}

/// <summary>
/// One user's vault on a fake kernel: run a command as the program would (user side, one helper per privileged call,
/// each helper a process of its own on the same kernel) and see what it said, its exit status and the state left.
/// </summary>
public sealed class Machine
{
    public static readonly VaultUser Dev = new("dev", 1000, 1000, "/home/dev");
    public static readonly VaultNames Names = new(Dev, "4026532281", "/home/dev/secrets", new VaultSize(64));

    public FakeKernel Kernel { get; }
    public FakeClock Clock { get; }
    public Machine(FakeKernel? kernel = null)
    {
        Kernel = kernel ?? FakeKernel.Locked();
        Clock = new FakeClock(Kernel);
    }

    public RecordingConsole Console { get; private set; } = new();
    public List<string> HooksRun { get; } = [];
    public List<string> FailingHooks { get; } = [];
    /// <summary>Set up the next helper process (make a step fail, kill or signal it after a step).</summary>
    public Action<FakeSystem, Interruption>? NextHelper { get; set; }
    /// <summary>Set up every helper process, with its request.</summary>
    public Action<RootRequest, FakeSystem, Interruption>? EveryHelper { get; set; }
    /// <summary>Runs once the running helper has ended (a signal handler waits for it).</summary>
    public Action? WhenHelperEnds { get; set; }
    public List<RootRequest> Requests { get; } = [];

    public VaultState State => new StateReader(new FakeSystem(Kernel, Names), Names).Read();

    public UserSide User(FakeTerminal terminal, string nonce = "100-1", RecordingConsole? console = null)
    {
        Console = console ?? new RecordingConsole();
        return new(new FakeSystem(Kernel, Names), Names, new Channel(this, Console), terminal, new Hooks(this), Console, nonce);
    }

    public int Run(Func<UserSide, int> command, FakeTerminal? terminal = null, string nonce = "100-1", RecordingConsole? console = null) =>
        Run((u, _) => command(u), terminal, nonce, console);

    public int Run(Func<UserSide, RecordingConsole, int> command, FakeTerminal? terminal, string nonce, RecordingConsole? console)
    {
        var user = User(terminal ?? new FakeTerminal(), nonce, console);
        var said = Console;
        try { return command(user, said); }
        catch (VaultException e) { said.Say(e.Message); return e.ExitCode; }
        catch (InterruptedException e) { return ExitCodes.ForSignal(e.Signal); }
        catch (ProcessKilled) { return Killed; }
    }

    /// <summary>The exit status of a command killed with SIGKILL.</summary>
    public const int Killed = 137;

    public int Status() => Run(u => u.Status());
    public int Unlock(FakeTerminal terminal, string nonce = "100-1", RecordingConsole? console = null) => Run(u => u.Unlock(), terminal, nonce, console);
    public int Lock(params string[] args) => Run(u => u.Lock(args));

    /// <summary>A helper run straight (as `sudo vault __root ...` would).</summary>
    public int Helper(RootRequest request, string? passphrase = null, FakeSystem? system = null, Interruption? interruption = null)
    {
        using var secret = passphrase is null ? null : Secret.FromBytes(Encoding.UTF8.GetBytes(passphrase));
        return new RootHelper(system ?? new FakeSystem(Kernel, Names), Names, Clock, Console, interruption ?? new Interruption()).Run(request, secret);
    }

    /// <summary>The sudo call: a new helper process on the same kernel; the passphrase crosses as bytes (a pipe).</summary>
    private sealed class Channel(Machine machine, RecordingConsole console) : IRootChannel
    {
        public int Run(RootRequest request, Secret? passphrase)
        {
            machine.Requests.Add(request);
            var system = new FakeSystem(machine.Kernel, Names);
            var interruption = new Interruption();
            var setup = machine.NextHelper;
            machine.NextHelper = null;
            using var piped = passphrase is null ? null : Secret.FromBytes(passphrase.Span);   // written to the pipe first
            setup?.Invoke(system, interruption);
            machine.EveryHelper?.Invoke(request, system, interruption);
            var rc = new RootHelper(system, Names, machine.Clock, console, interruption).Run(request, piped);
            // A signal handler that ran meanwhile waited for this helper to end (WaitForRunning): it acts now.
            var pending = machine.WhenHelperEnds;
            machine.WhenHelperEnds = null;
            pending?.Invoke();
            return rc;
        }

        public void WaitForRunning() { }
    }

    private sealed class Hooks(Machine machine) : IHookRunner
    {
        public IReadOnlyList<string> RunHooks(string vaultDir)
        {
            machine.HooksRun.Add(vaultDir);
            return machine.FailingHooks;
        }
    }
}
