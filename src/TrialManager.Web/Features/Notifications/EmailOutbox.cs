using System.Net;
using System.Net.Mail;
using System.Net.Mime;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TrialManager.Web.Data;
using TrialManager.Web.Data.Audit;

namespace TrialManager.Web.Features.Notifications;

public static class EmailOutbox
{
    /// <summary>Binds <see cref="SmtpSettings"/> and runs the outbox worker (which does nothing without an SMTP host).</summary>
    public static IServiceCollection AddEmailOutbox(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<SmtpSettings>(configuration.GetSection(SmtpSettings.Section));
        services.AddSingleton<SmtpMailer>();
        services.AddSingleton<OutboxDispatcher>();
        // The dispatcher is resolved at the worker's first run, not when hosted services are built: its context factory
        // needs the connection string, which is known only once DatabaseStartup has run.
        services.AddHostedService(sp => new EmailOutboxWorker(
            sp.GetRequiredService<OutboxDispatcher>,
            sp.GetRequiredService<IOptions<SmtpSettings>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<EmailOutboxWorker>>()));
        return services;
    }
}

/// <summary>Sends one outbox message through the configured SMTP server, on a connection of its own.</summary>
public sealed class SmtpMailer(IOptions<SmtpSettings> options)
{
    public async Task SendAsync(OutboxEmail email, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        using var message = new MailMessage(new MailAddress(settings.From), new MailAddress(email.ToAddress))
        {
            Subject = email.Subject,
            Body = email.Body,
            SubjectEncoding = Encoding.UTF8,
            BodyEncoding = Encoding.UTF8,
            // Readable in any mail client's source view, and safe through 7-bit relays.
            BodyTransferEncoding = TransferEncoding.QuotedPrintable,
        };
        // SmtpClient is not obsolete, only discouraged in favour of MailKit, which this registry copy lacks; it does
        // what an outbox needs (plain text, STARTTLS, credentials). A new client per message: a failed one keeps no state.
        using var client = new SmtpClient(settings.Host, settings.Port)
        {
            EnableSsl = settings.EnableSsl,
            DeliveryMethod = SmtpDeliveryMethod.Network,
            Timeout = (int)timeout.TotalMilliseconds,
        };
        if (!string.IsNullOrEmpty(settings.UserName))
        {
            client.Credentials = new NetworkCredential(settings.UserName, settings.Password);
        }

        // Timeout above covers synchronous sends only; the asynchronous send is bounded by the token.
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            await client.SendMailAsync(message, timer.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The SMTP server did not complete the send within {timeout.TotalSeconds:0} s.");
        }
    }
}

/// <summary>
/// Sends the outbox's due messages. Several app instances may run it at once: each claims a batch under
/// <c>FOR UPDATE SKIP LOCKED</c> and leases it (NextAttemptAt moves past the time the batch can take) in a short
/// transaction, then sends with no transaction open, since every save takes the audit chain's lock and must not hold
/// it across network I/O. A message claimed by an instance that dies is sent again when its lease runs out.
/// </summary>
public sealed class OutboxDispatcher(
    IDbContextFactory<TrialDbContext> dbFactory,
    SmtpMailer mailer,
    IOptions<SmtpSettings> options,
    TimeProvider clock,
    ILogger<OutboxDispatcher> logger)
{
    public const int BatchSize = 10;

    /// <summary>Per call, so a run of immediately-due retries (RetryAfterSeconds near zero) cannot loop forever.</summary>
    public const int MaxBatchesPerCall = 10;

    public static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Longer than a whole batch can take, so no other instance claims a message still being sent.</summary>
    public static readonly TimeSpan Lease = SendTimeout * BatchSize + TimeSpan.FromMinutes(1);

    private const int MaxErrorLength = 500;

    private static readonly AuditActor Actor = AuditActor.System("e-mail outbox");

    /// <summary>Sends what is due now (nothing when SMTP is not configured); returns how many messages were sent.</summary>
    public async Task<int> DispatchDueAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            return 0;
        }

        var sent = 0;
        for (var batch = 0; batch < MaxBatchesPerCall; batch++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            db.AuditActorOverride = Actor;
            var claimed = await ClaimAsync(db, cancellationToken);
            foreach (var email in claimed)
            {
                if (await SendOneAsync(db, email, settings, cancellationToken))
                {
                    sent++;
                }
            }

            if (claimed.Count < BatchSize)
            {
                break;
            }
        }

        return sent;
    }

    private async Task<List<OutboxEmail>> ClaimAsync(TrialDbContext db, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var due = await db.OutboxEmails.FromSql($"""
            SELECT * FROM "OutboxEmails"
            WHERE "SentAt" IS NULL AND "GaveUpAt" IS NULL AND "NextAttemptAt" <= {now}
            ORDER BY "NextAttemptAt", "Id"
            LIMIT {BatchSize}
            FOR UPDATE SKIP LOCKED
            """).ToListAsync(cancellationToken);
        if (due.Count == 0)
        {
            return due;
        }

        foreach (var email in due)
        {
            email.NextAttemptAt = now + Lease;
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return due;
    }

    private async Task<bool> SendOneAsync(TrialDbContext db, OutboxEmail email, SmtpSettings settings, CancellationToken cancellationToken)
    {
        Exception? failure = null;
        try
        {
            await mailer.SendAsync(email, SendTimeout, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            failure = e;
        }

        // Recorded even while shutting down: the message did or did not go, and that must not be lost.
        var now = clock.GetUtcNow();
        if (failure is null)
        {
            email.SentAt = now;
            email.LastError = null;
        }
        else
        {
            email.Attempts++;
            email.LastError = Describe(failure, settings);
            // Logs may be shipped elsewhere: they name the message by id, and a server's echo of the address is masked.
            var logged = email.ToAddress.Length == 0 ? email.LastError : email.LastError.Replace(email.ToAddress, "<recipient>", StringComparison.OrdinalIgnoreCase);
            if (email.Attempts >= Math.Max(1, settings.MaxAttempts))
            {
                email.GaveUpAt = now;
                logger.LogWarning("Gave up e-mail {EmailId} after {Attempts} attempts: {Error}", email.Id, email.Attempts, logged);
            }
            else
            {
                email.NextAttemptAt = now + Backoff(settings, email.Attempts);
                logger.LogInformation("E-mail {EmailId} failed (attempt {Attempts}); next try at {NextAttemptAt:O}: {Error}", email.Id, email.Attempts, email.NextAttemptAt, logged);
            }
        }

        await db.SaveChangesAsync(CancellationToken.None);
        return failure is null;
    }

    /// <summary>RetryAfterSeconds, doubling after each failed attempt (capped so it cannot overflow).</summary>
    public static TimeSpan Backoff(SmtpSettings settings, int attempts) =>
        TimeSpan.FromSeconds(Math.Max(1, settings.RetryAfterSeconds) * Math.Pow(2, Math.Clamp(attempts - 1, 0, 20)));

    /// <summary>The failure and its causes, short enough for the column, and never the SMTP password.</summary>
    private static string Describe(Exception failure, SmtpSettings settings)
    {
        var messages = new List<string>();
        for (var e = failure; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
        }

        var text = string.Join(" <- ", messages.Distinct(StringComparer.Ordinal));
        if (!string.IsNullOrEmpty(settings.Password))
        {
            text = text.Replace(settings.Password, "***", StringComparison.Ordinal);
        }

        return text.Length <= MaxErrorLength ? text : text[..MaxErrorLength];
    }
}

/// <summary>Runs the dispatcher every PollSeconds while an SMTP host is configured; a failed run is logged and retried.</summary>
public sealed class EmailOutboxWorker(Func<OutboxDispatcher> dispatcher, IOptions<SmtpSettings> options, TimeProvider clock, ILogger<EmailOutboxWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            logger.LogInformation("No SMTP host configured ({Section}:Host): notifications stay in the in-app inbox only.", SmtpSettings.Section);
            return;
        }

        // At most a day: Task.Delay refuses waits beyond about 49 days, and the worker must not die of a setting.
        var poll = TimeSpan.FromSeconds(Math.Clamp(settings.PollSeconds, 1, 86_400));
        try
        {
            // The first run is one period after start, like every later one.
            while (true)
            {
                await Task.Delay(poll, clock, stoppingToken);
                try
                {
                    await dispatcher().DispatchDueAsync(stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogError(e, "Sending the e-mail outbox failed; trying again in {PollSeconds} s.", poll.TotalSeconds);
                }
            }
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: whatever a cancelled send or query threw.
        }
    }
}
