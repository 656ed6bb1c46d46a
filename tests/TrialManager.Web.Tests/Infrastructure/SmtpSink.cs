using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace TrialManager.Web.Tests.Infrastructure;

/// <summary>Where <see cref="SmtpSink"/> refuses a message it was told to refuse.</summary>
public enum SmtpRejection
{
    /// <summary>451 to MAIL FROM: the message is never transmitted.</summary>
    AtMailFrom,

    /// <summary>451 after the whole message was transmitted (the server's final answer counts, not the transfer).</summary>
    AfterData,
}

/// <summary>One message the sink accepted.</summary>
public sealed partial record ReceivedEmail(string From, IReadOnlyList<string> Recipients, string Data)
{
    /// <summary>The Subject header, unfolded, with RFC 2047 encoded words decoded.</summary>
    public string Subject => DecodeWords(Header("Subject") ?? "");

    /// <summary>The body of a single-part message, with its transfer encoding undone.</summary>
    public string Body
    {
        get
        {
            var split = Data.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            var raw = split < 0 ? "" : Data[(split + 4)..];
            var charset = Charset();
            return (Header("Content-Transfer-Encoding") ?? "").Trim().ToUpperInvariant() switch
            {
                "BASE64" => charset.GetString(Convert.FromBase64String(raw.Replace("\r\n", "", StringComparison.Ordinal))),
                "QUOTED-PRINTABLE" => charset.GetString(QuotedPrintable(raw)),
                _ => raw,
            };
        }
    }

    public string? Header(string name)
    {
        var head = Data.Split("\r\n\r\n", 2)[0].Replace("\r\n ", " ", StringComparison.Ordinal).Replace("\r\n\t", " ", StringComparison.Ordinal);
        return head.Split("\r\n")
            .Where(line => line.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))
            .Select(line => line[(name.Length + 1)..].Trim())
            .FirstOrDefault();
    }

    private Encoding Charset()
    {
        var match = CharsetPattern().Match(Header("Content-Type") ?? "");
        return match.Success ? Encoding.GetEncoding(match.Groups[1].Value) : Encoding.ASCII;
    }

    private static string DecodeWords(string value) =>
        EncodedWord().Replace(value.Replace("?= =?", "?==?", StringComparison.Ordinal), m =>
        {
            var charset = Encoding.GetEncoding(m.Groups[1].Value);
            var text = m.Groups[3].Value;
            return string.Equals(m.Groups[2].Value, "B", StringComparison.OrdinalIgnoreCase)
                ? charset.GetString(Convert.FromBase64String(text))
                : charset.GetString(QuotedPrintable(text.Replace('_', ' ')));
        });

    private static byte[] QuotedPrintable(string text)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '=' && text.AsSpan(i + 1).StartsWith("\r\n"))
            {
                i += 2; // a soft line break
            }
            else if (text[i] == '=' && i + 2 < text.Length)
            {
                bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.Add((byte)text[i]);
            }
        }

        return [.. bytes];
    }

    [GeneratedRegex(@"=\?([^?]+)\?([BbQq])\?([^?]*)\?=")]
    private static partial Regex EncodedWord();

    [GeneratedRegex(@"charset=""?([^"";\s]+)", RegexOptions.IgnoreCase)]
    private static partial Regex CharsetPattern();
}

/// <summary>
/// A tiny SMTP server on 127.0.0.1 (an ephemeral port) that keeps what it is sent, speaking just enough SMTP for
/// System.Net.Mail.SmtpClient. It can refuse the next messages or a recipient, or stop listening, to test retries.
/// A message is recorded before the server's final 250, so once SmtpClient's send returns, it is here.
/// </summary>
public sealed class SmtpSink : IDisposable
{
    private readonly ConcurrentQueue<ReceivedEmail> _messages = new();
    private readonly ConcurrentDictionary<string, bool> _rejectedRecipients = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();
    private TcpListener? _listener;
    private CancellationTokenSource? _stopping;
    private int _rejectNext;
    private SmtpRejection _rejectAt;

    public SmtpSink()
    {
        Port = Listen(0);
    }

    public string Host => "127.0.0.1";

    public int Port { get; }

    public IReadOnlyList<ReceivedEmail> Messages => [.. _messages];

    /// <summary>How many messages were refused (by <see cref="RejectNext"/>) so far.</summary>
    public int Rejected { get; private set; }

    /// <summary>Refuses the next <paramref name="count"/> messages with 451 (a temporary failure) at the given point.</summary>
    public void RejectNext(int count, SmtpRejection at = SmtpRejection.AfterData)
    {
        lock (_gate)
        {
            _rejectNext = count;
            _rejectAt = at;
        }
    }

    /// <summary>Answers 550 to RCPT TO for this address, until the sink is cleared.</summary>
    public void RejectRecipient(string address) => _rejectedRecipients[address] = true;

    /// <summary>Forgets received messages and any refusal still pending.</summary>
    public void Clear()
    {
        _messages.Clear();
        _rejectedRecipients.Clear();
        lock (_gate)
        {
            _rejectNext = 0;
            Rejected = 0;
        }
    }

    /// <summary>Closes the port (connections are refused) and drops open sessions, until <see cref="Start"/>.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            _stopping?.Cancel();
            _listener?.Stop();
            _listener = null;
        }
    }

    /// <summary>Listens again on the same port.</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_listener is null)
            {
                Listen(Port);
            }
        }
    }

    public void Dispose()
    {
        Stop();
        _stopping?.Dispose();
    }

    private int Listen(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        _stopping?.Dispose();
        _stopping = new CancellationTokenSource();
        _listener = listener;
        _ = AcceptAsync(listener, _stopping.Token);
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task AcceptAsync(TcpListener listener, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stopping);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = ServeAsync(client, stopping);
        }
    }

    private bool TakeRejection(SmtpRejection at)
    {
        lock (_gate)
        {
            if (_rejectNext <= 0 || _rejectAt != at)
            {
                return false;
            }

            _rejectNext--;
            Rejected++;
            return true;
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken stopping)
    {
        using var connection = client;
        using var closeOnStop = stopping.Register(client.Dispose);
        try
        {
            var stream = connection.GetStream();
            // Latin-1 maps bytes to chars one to one, so whatever arrives is kept as sent.
            using var reader = new StreamReader(stream, Encoding.Latin1);
            await using var writer = new StreamWriter(stream, Encoding.Latin1) { NewLine = "\r\n", AutoFlush = true };
            await writer.WriteLineAsync("220 sink.test ESMTP ready");
            string? from = null;
            var recipients = new List<string>();
            while (await reader.ReadLineAsync(stopping) is { } line)
            {
                var verb = (line.Length >= 4 ? line[..4] : line).ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        await writer.WriteLineAsync("250-sink.test\r\n250 8BITMIME");
                        break;
                    case "HELO":
                        await writer.WriteLineAsync("250 sink.test");
                        break;
                    case "MAIL":
                        if (TakeRejection(SmtpRejection.AtMailFrom))
                        {
                            await writer.WriteLineAsync("451 4.3.0 Try again later");
                            break;
                        }

                        from = Address(line);
                        recipients.Clear();
                        await writer.WriteLineAsync("250 2.1.0 OK");
                        break;
                    case "RCPT":
                        var to = Address(line);
                        if (from is null)
                        {
                            await writer.WriteLineAsync("503 5.5.1 MAIL first");
                        }
                        else if (_rejectedRecipients.ContainsKey(to))
                        {
                            await writer.WriteLineAsync($"550 5.1.1 <{to}>: No such user");
                        }
                        else
                        {
                            recipients.Add(to);
                            await writer.WriteLineAsync("250 2.1.5 OK");
                        }

                        break;
                    case "DATA":
                        if (from is null || recipients.Count == 0)
                        {
                            await writer.WriteLineAsync("503 5.5.1 RCPT first");
                            break;
                        }

                        await writer.WriteLineAsync("354 End data with <CR><LF>.<CR><LF>");
                        var data = new StringBuilder();
                        while (await reader.ReadLineAsync(stopping) is { } dataLine && dataLine != ".")
                        {
                            // Dot-stuffing: a line the client began with "." was sent with a second one.
                            data.Append(dataLine.StartsWith('.') ? dataLine[1..] : dataLine).Append("\r\n");
                        }

                        if (TakeRejection(SmtpRejection.AfterData))
                        {
                            await writer.WriteLineAsync("451 4.3.0 Try again later");
                        }
                        else
                        {
                            _messages.Enqueue(new ReceivedEmail(from, [.. recipients], data.ToString()));
                            await writer.WriteLineAsync("250 2.0.0 Queued");
                        }

                        from = null;
                        recipients.Clear();
                        break;
                    case "RSET":
                        from = null;
                        recipients.Clear();
                        await writer.WriteLineAsync("250 2.0.0 OK");
                        break;
                    case "NOOP":
                        await writer.WriteLineAsync("250 2.0.0 OK");
                        break;
                    case "QUIT":
                        await writer.WriteLineAsync("221 2.0.0 Bye");
                        return;
                    default:
                        await writer.WriteLineAsync("502 5.5.2 Command not recognised");
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away, or the sink was stopped.
        }
    }

    /// <summary>The address in "MAIL FROM:&lt;a@b&gt; SIZE=..." or "RCPT TO:&lt;a@b&gt;".</summary>
    private static string Address(string line)
    {
        var start = line.IndexOf('<', StringComparison.Ordinal);
        var end = line.IndexOf('>', StringComparison.Ordinal);
        return start >= 0 && end > start ? line[(start + 1)..end] : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
    }
}
