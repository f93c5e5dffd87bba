using Strata.Vault.Names;
using Strata.Vault.Secrets;
using Strata.Vault.States;

namespace Strata.Vault.Root;

/// <summary>
/// The root side of every command but `status` and `paths`: one call per command, serialised by the vault's lock,
/// in the caller's mount namespace, on names derived as root (<see cref="RootEntry"/>). It fails closed: an unlock
/// that fails or is interrupted at any step takes down what it made (a new vault is removed, a sealed one goes
/// back to sealed); a lock or clean, once started, ignores signals and finishes.
/// </summary>
public sealed class RootHelper(IPrivilegedSystem system, VaultNames names, IClock clock, IConsole console, Interruption interruption)
{
    public static readonly TimeSpan LockWait = TimeSpan.FromSeconds(300);
    private readonly StateReader _reader = new(system, names);
    private readonly Teardown _teardown = new(system, names, clock, console);

    /// <summary>Runs one request; the passphrase (unlock only) is disposed by the caller.</summary>
    public int Run(RootRequest request, Secret? passphrase)
    {
        try
        {
            names.Size.EnsureFits(system.AvailableMemory());
            using var held = TakeLock();
            if (request is RootRequest.Preflight) return Preflight();
            if (!system.PreflightCached() && Preflight() != ExitCodes.Ok) return ExitCodes.Failed;
            return request switch
            {
                RootRequest.Unlock u => Unlock(u, passphrase),
                RootRequest.Lock l => Lock(l.Mode),
                RootRequest.Clean => Clean(),
                RootRequest.Abort a => Abort(a),
                _ => throw new VaultException($"unknown helper command '{request.Command}'", ExitCodes.Usage),
            };
        }
        catch (VaultException e)
        {
            console.Say(e.Message);
            return e.ExitCode;
        }
        catch (InterruptedException e)
        {
            return ExitCodes.ForSignal(e.Signal);   // before anything was made: nothing to undo
        }
    }

    private IDisposable TakeLock()
    {
        var held = system.TryLock();
        if (held is not null) return held;
        console.Say($"another vault unlock or lock of {names.User.Name} is running; waiting for it");
        var end = clock.Now + LockWait;
        while ((held = system.TryLock()) is null)
        {
            interruption.ThrowIfRequested();   // interrupted while it waits: it made nothing
            if (clock.Now >= end) throw new VaultException($"another vault command of {names.User.Name} still runs after {LockWait.TotalSeconds:0} s; refusing");
            clock.Sleep(TimeSpan.FromMilliseconds(100));
        }
        return held;
    }

    private int Preflight()
    {
        var problems = system.Preflight();
        if (problems.Count > 0)
        {
            foreach (var p in problems) console.Say("preflight: MISSING: " + p);
            console.Say($"preflight: FAILED ({problems.Count} problem(s)); the vault cannot be unlocked here");
            system.ForgetPreflight();
            return ExitCodes.Failed;
        }
        system.CachePreflight();
        // A locked vault's mount point is sealed from the first privileged call on.
        if (_reader.Read() is VaultState.Locked) _teardown.SealMountPoint();
        return ExitCodes.Ok;
    }

    private int Unlock(RootRequest.Unlock request, Secret? passphrase)
    {
        if (passphrase is null || passphrase.IsEmpty) throw new VaultException("no passphrase given to the helper; nothing was unlocked");
        var state = _teardown.Judge();
        if (state is VaultState.Unlocked) return ExitCodes.AlreadyUnlocked;
        if (state is VaultState.Broken)
        {
            if (!_teardown.Run(LockMode.Keep)) throw new VaultException("cannot clean the stale vault; nothing was unlocked");
            state = _reader.Read();
        }
        if (UnlockPlan.ModeFor(state) != request.Mode)
            throw new VaultException($"the vault changed meanwhile (now: {state.Name}); nothing was unlocked, run 'vault unlock' again");
        if (_reader.ForeignMount()) throw new VaultException($"something else is mounted on {names.MountPoint}; refusing");

        var plan = UnlockPlan.For(request.Mode);
        try
        {
            foreach (var step in plan.Steps)
            {
                interruption.ThrowIfRequested();
                if (Do(step, passphrase, request.Nonce) is { } refused) return Undo(plan, refused, null);
            }
            return ExitCodes.Ok;
        }
        catch (InterruptedException e) { return Undo(plan, ExitCodes.ForSignal(e.Signal), null); }
        catch (VaultException e)   // (a step's tool killed by the same Ctrl+C fails: the signal is the reason)
        {
            return Undo(plan, interruption.Signal is { } s ? ExitCodes.ForSignal(s) : e.ExitCode, e.Message);
        }
    }

    /// <summary>Runs one step; an exit status when it refuses (a wrong passphrase), null when done.</summary>
    private int? Do(UnlockStep step, Secret passphrase, string nonce)
    {
        switch (step)
        {
            case UnlockStep.MountRamFolder: system.MountRamFolder(); break;
            case UnlockStep.CreateImage: system.CreateImage(names.Size.Bytes); break;
            case UnlockStep.FormatLuks: system.FormatLuks(passphrase); break;
            case UnlockStep.OpenLuks:
                switch (system.OpenLuks(passphrase))
                {
                    case OpenResult.WrongPassphrase:
                        console.Say("wrong passphrase; nothing was unlocked");
                        return ExitCodes.WrongPassphrase;
                    case OpenResult.Failed: throw new VaultException("cryptsetup open failed");
                }
                break;
            case UnlockStep.MakeFilesystem: system.MakeFilesystem(); break;
            case UnlockStep.MarkImageComplete: system.MarkImageComplete(); break;
            case UnlockStep.SealMountPoint: _teardown.SealMountPoint(); break;   // what remains when the vault goes
            case UnlockStep.MountVault: system.MountVault(); break;
            // Deferred removal: the mapping (and its key) goes by itself when the last user closes it,
            // e.g. when the container stops and its mount namespace goes away.
            case UnlockStep.MarkDeferredRemoval: system.MarkDeferredRemoval(); break;
            case UnlockStep.RecordOpener:
                if (!_reader.VaultMounted()) throw new VaultException($"mounted, but {names.MountPoint} does not show the mapping; aborting");
                system.WriteOpener(nonce);
                break;
        }
        return null;
    }

    /// <summary>Fail closed: undo what this attempt made (signals are ignored meanwhile), then report.</summary>
    private int Undo(UnlockPlan plan, int exitCode, string? message)
    {
        interruption.Defer();
        if (message is not null) console.Say(message);
        var quiet = new Teardown(system, names, clock, new SilentConsole());
        if (!quiet.Run(plan.Undo) && !_teardown.Run(plan.Undo)) console.Say("teardown incomplete; run 'vault lock'");
        return exitCode == ExitCodes.Ok ? ExitCodes.Failed : exitCode;
    }

    private int Lock(LockMode mode)
    {
        if (_teardown.Judge() is VaultState.Locked)
        {
            system.RemoveOpener();   // (a lock killed at its end leaves it: it names no open vault)
            _teardown.SealMountPoint();
            return ExitCodes.Ok;
        }
        interruption.Defer();   // do not stop half way
        if (_teardown.Run(mode)) return ExitCodes.Ok;
        throw new VaultException($"lock incomplete; state is now: {_reader.Read().Name}");
    }

    private int Clean()
    {
        var state = _teardown.Judge();
        if (state is VaultState.Unlocked) return ExitCodes.AlreadyUnlocked;
        if (state is not VaultState.Broken) return ExitCodes.Ok;
        interruption.Defer();
        if (_teardown.Run(LockMode.Keep)) return ExitCodes.Ok;
        throw new VaultException($"cleaning incomplete; state is now: {_reader.Read().Name}");
    }

    private int Abort(RootRequest.Abort request)
    {
        if (_reader.Read() is not VaultState.Unlocked) return ExitCodes.Ok;
        if (system.ReadOpener() != request.Nonce)
        {
            console.Say("the open vault was unlocked by another session; left alone");
            return ExitCodes.Ok;
        }
        interruption.Defer();
        if (_teardown.Run(request.Mode)) return ExitCodes.Ok;
        throw new VaultException($"teardown incomplete; state is now: {_reader.Read().Name}");
    }

    private sealed class SilentConsole : IConsole
    {
        public void Out(string line) { }
        public void Say(string message) { }
    }
}
