namespace TrialManager.Web.Features.Notifications;

/// <summary>
/// The SMTP server e-mail goes through (section TrialManager:Smtp). With no Host, no e-mail is queued: the in-app
/// inbox still carries every notification.
/// </summary>
public sealed class SmtpSettings
{
    public const string Section = "TrialManager:Smtp";

    public string? Host { get; set; }

    public int Port { get; set; } = 25;

    public bool EnableSsl { get; set; }

    public string? UserName { get; set; }

    public string? Password { get; set; }

    public string From { get; set; } = "trialmanager@localhost";

    /// <summary>Prefix for links in e-mails (e.g. https://trials.example.org); without it links are paths.</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Attempts before a message is given up (and shown to administrators); waits double from RetryAfterSeconds.</summary>
    public int MaxAttempts { get; set; } = 8;

    public int RetryAfterSeconds { get; set; } = 30;

    /// <summary>How often the outbox worker looks for messages to send.</summary>
    public int PollSeconds { get; set; } = 10;

    public bool Enabled => !string.IsNullOrWhiteSpace(Host);
}
