using System.Globalization;
using System.Text;

namespace TrialManager.Benchmarks.Generation;

/// <summary>
/// Draws generation progress on standard error: one line redrawn in place (at most four times a second), or, when
/// standard error is redirected to a file, one line per 5% so the log stays readable.
/// </summary>
public sealed class ProgressBar : IProgress<GenerationProgress>
{
    private const int Width = 20;
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private readonly TextWriter _output;
    private readonly bool _inPlace;
    private readonly Lock _gate = new();
    private TimeSpan _lastDrawn = TimeSpan.MinValue;
    private string _phase = "";
    private int _lastStep = -1;
    private int _lineLength;

    public ProgressBar()
        : this(Console.Error, !Console.IsErrorRedirected)
    {
    }

    public ProgressBar(TextWriter output, bool inPlace)
    {
        _output = output;
        _inPlace = inPlace;
    }

    public void Report(GenerationProgress value)
    {
        lock (_gate)
        {
            var newPhase = value.Phase != _phase;
            if (newPhase && _inPlace && _lineLength > 0)
            {
                _output.WriteLine();
                _lineLength = 0;
            }

            if (newPhase)
            {
                (_phase, _lastStep, _lastDrawn) = (value.Phase, -1, TimeSpan.MinValue);
            }

            var line = Line(value);
            if (_inPlace)
            {
                var finished = value.Done >= value.Total;
                if (!finished && value.Elapsed - _lastDrawn < Interval)
                {
                    return;
                }

                _lastDrawn = value.Elapsed;
                _output.Write("\r" + line.PadRight(_lineLength));
                _lineLength = line.Length;
                _output.Flush();
                return;
            }

            var step = (int)(value.Fraction * 20);
            if (step > _lastStep)
            {
                _lastStep = step;
                _output.WriteLine(line);
                _output.Flush();
            }
        }
    }

    /// <summary>Ends the line being redrawn, so what is written next starts on its own line.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            if (_inPlace && _lineLength > 0)
            {
                _output.WriteLine();
                _lineLength = 0;
            }
        }
    }

    /// <summary>e.g. <c>[#########-----------] 45% participants 4,512/10,000 forms 67,210 AEs 2,201  118 ops/s  ETA 6m12s</c>.</summary>
    public static string Line(GenerationProgress value)
    {
        var filled = (int)Math.Round(value.Fraction * Width);
        var text = new StringBuilder()
            .Append('[').Append('#', filled).Append('-', Width - filled).Append("] ")
            .Append(CultureInfo.InvariantCulture, $"{value.Fraction * 100,3:0}% {value.Phase}");
        if (value.ParticipantsTotal > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $" {value.Participants:N0}/{value.ParticipantsTotal:N0} forms {value.Forms:N0} AEs {value.AdverseEvents:N0}  {value.OperationsPerSecond:0} ops/s");
            if (value.Remaining is { } left)
            {
                text.Append(CultureInfo.InvariantCulture, $"  ETA {Duration(left)}");
            }
        }
        else if (value.Total > 1)
        {
            text.Append(CultureInfo.InvariantCulture, $" {value.Done:N0}/{value.Total:N0}");
        }

        return text.Append(CultureInfo.InvariantCulture, $"  {Duration(value.Elapsed)} elapsed").ToString();
    }

    public static string Duration(TimeSpan span) => span.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours}h{span.Minutes:00}m")
        : string.Create(CultureInfo.InvariantCulture, $"{span.Minutes}m{span.Seconds:00}s");
}
