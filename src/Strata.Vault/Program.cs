using System.Runtime.InteropServices;
using Strata.Vault;
using Strata.Vault.Names;
using Strata.Vault.Platform;
using Strata.Vault.Root;
using Strata.Vault.Secrets;
using Strata.Vault.User;

// vault - Strata's encrypted RAM vault (smoke/vault/README.md is the contract).
//   vault unlock | lock [--erase|--keep] | status | preflight | paths
// The root helper is this program as "vault __root COMMAND MOUNT SIZE ...", run through `sudo -n`.
var console = new StandardConsole();
try
{
    Hardening.Apply();
    Environment.SetEnvironmentVariable("PATH", (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin") + ":/usr/local/sbin:/usr/sbin:/sbin");
    return args switch
    {
        ["__root", .. var rest] => RootMain(rest, console),
        ["unlock"] => UserMain(console, (u, _) => u.Unlock(), unlocking: true),
        ["lock", .. var rest] => UserMain(console, (u, _) => u.Lock(rest)),
        ["status"] => UserMain(console, (u, _) => u.Status(), lenient: true),
        ["preflight"] => UserMain(console, (u, _) => u.Preflight()),
        ["paths"] => UserMain(console, (u, _) => u.Paths(), lenient: true),
        ["-h" or "--help" or "help"] => Usage(1, ExitCodes.Ok),
        _ => Usage(2, ExitCodes.Usage),
    };
}
catch (VaultException e)
{
    console.Say(e.Message);
    return e.ExitCode;
}
catch (InterruptedException e)
{
    return ExitCodes.ForSignal(e.Signal);
}

static int Usage(int fd, int code)
{
    RawOutput.Write(fd, """
        Usage:
          vault unlock          prompt for the passphrase on the terminal and mount ~/secrets
          vault lock [--erase|--keep]
                                unmount, close and ERASE the vault; a non-empty vault is only erased after
                                a yes on the terminal, or with --erase; --keep keeps the encrypted image in RAM
          vault status          one line; exit 0 unlocked, 1 locked, 2 sealed, 3 broken
          vault preflight       check privileges, device nodes and kernel support; exit 0/1
          vault paths           the names this machine uses (mapping, image, lock file)

        """);
    return code;
}

static int UserMain(IConsole console, Func<UserSide, VaultNames, int> command, bool unlocking = false, bool lenient = false)
{
    var uid = (int)Libc.getuid();
    var user = new UserDirectory().Find(uid) ?? throw new VaultException("cannot look up the user (getpwuid)");
    var home = Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } h ? h : user.Home;
    VaultSize size;
    try { size = VaultSize.Parse(Environment.GetEnvironmentVariable("STRATA_VAULT_SIZE_MB")); }
    catch (VaultException) when (lenient) { size = new VaultSize(VaultSize.Default); }
    var mount = Environment.GetEnvironmentVariable("STRATA_VAULT_MOUNT") is { Length: > 0 } m ? m : home.TrimEnd('/') + "/secrets";
    var names = new VaultNames(user with { Home = home }, VaultNames.NamespaceId(new FileInfo("/proc/self/ns/mnt").LinkTarget), mount, size);
    var nonce = $"{Environment.ProcessId}-{Random.Shared.Next()}";   // names an attempt, not a secret (and no OpenSSL: the image may lack libssl)
    var side = new UserSide(new LinuxInspector(names), names, new SudoChannel(), new TtyProvider(), new HookRunner(home), console, nonce);
    var registrations = new List<PosixSignalRegistration>();
    if (unlocking)
    {
        // From the first prompt on, INT/TERM/HUP/QUIT end the attempt non-zero, failing closed; Ctrl+Z must not
        // park the prompt and hand back a shell.
        foreach (var (posix, signal) in new[] { (PosixSignal.SIGINT, VaultSignal.Int), (PosixSignal.SIGTERM, VaultSignal.Term), (PosixSignal.SIGHUP, VaultSignal.Hup), (PosixSignal.SIGQUIT, VaultSignal.Quit) })
            registrations.Add(PosixSignalRegistration.Create(posix, context =>
            {
                if (side.Interrupt(signal) is not { } code) return;   // outside the attempt (hooks): the default
                context.Cancel = true;
                Environment.Exit(code);
            }));
        foreach (var posix in new[] { PosixSignal.SIGTSTP, PosixSignal.SIGTTIN, PosixSignal.SIGTTOU })
            registrations.Add(PosixSignalRegistration.Create(posix, context => context.Cancel = true));
    }
    try { return command(side, names); }
    finally { foreach (var r in registrations) r.Dispose(); }
}

static int RootMain(string[] args, IConsole console)
{
    var request = RootRequest.Parse(args);
    var uid = RootContext.CallerUid((int)Libc.getuid(), Environment.GetEnvironmentVariable("SUDO_UID"));
    if (Libc.geteuid() != 0) throw new VaultException("the helper must run as root (through sudo)");
    var names = RootContext.Derive(request, uid, new UserDirectory(), new FileInfo("/proc/self/ns/mnt").LinkTarget ?? "", new PathInspector());
    Directory.CreateDirectory(VaultNames.BaseDirectory);
    File.SetUnixFileMode(VaultNames.BaseDirectory, (UnixFileMode)0b111_101_101);

    var interruption = new Interruption();
    var registrations = new[] { (PosixSignal.SIGINT, VaultSignal.Int), (PosixSignal.SIGTERM, VaultSignal.Term), (PosixSignal.SIGHUP, VaultSignal.Hup), (PosixSignal.SIGQUIT, VaultSignal.Quit) }
        .Select(p => PosixSignalRegistration.Create(p.Item1, context =>
        {
            interruption.Request(p.Item2);   // the helper stops between two steps and undoes; a teardown finishes
            context.Cancel = true;
        })).ToList();
    using var passphrase = request is RootRequest.Unlock ? ReadStdin() : null;
    try { return new RootHelper(new LinuxSystem(names), names, new SystemClock(), console, interruption).Run(request, passphrase); }
    finally { foreach (var r in registrations) r.Dispose(); }
}

// The passphrase: every byte of stdin (a pipe from the user side), into the locked buffer.
static unsafe Secret ReadStdin()
{
    var secret = Secret.Allocate();
    try
    {
        while (true)
        {
            var tail = secret.Tail(out var room);
            if (room == 0) throw new VaultException($"passphrase too long (at most {Secret.Capacity - 1} bytes)");
            var n = Libc.read(0, tail, (nuint)room);
            if (n < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR) continue;
            if (n <= 0) return secret;
            secret.Grow((int)n);
        }
    }
    catch
    {
        secret.Dispose();
        throw;
    }
}
