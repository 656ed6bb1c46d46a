using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace TrialManager.Documents.Tests;

/// <summary>
/// Reads rendered PDFs back with poppler-utils, the way a person's viewer would. Missing tools fail the test with an
/// install hint: a PDF layer whose output nobody checked is not a pass.
/// </summary>
internal static class Poppler
{
    public static string Text(byte[] pdf) => Run("pdftotext", pdf, "-layout -enc UTF-8 {0} -");

    /// <summary>Text of each page (pdftotext ends every page with a form feed).</summary>
    public static string[] Pages(byte[] pdf)
    {
        var pages = Text(pdf).Split('\f');
        return pages[^1].Trim().Length == 0 ? pages[..^1] : pages;
    }

    public static Dictionary<string, string> Info(byte[] pdf)
    {
        var info = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in Run("pdfinfo", pdf, "{0}").Split('\n'))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                info[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }
        return info;
    }

    public static string Fonts(byte[] pdf) => Run("pdffonts", pdf, "{0}");

    /// <summary>Renders every page to an RGB raster (PPM, parsed here) at the given resolution.</summary>
    public static List<Raster> Render(byte[] pdf, int dpi)
    {
        var dir = Directory.CreateTempSubdirectory("tm-ppm-");
        try
        {
            Run("pdftoppm", pdf, string.Create(CultureInfo.InvariantCulture, $"-r {dpi} {{0}} {dir.FullName}/page"));
            return [.. dir.GetFiles("page*.ppm").OrderBy(f => f.Name, StringComparer.Ordinal).Select(f => Raster.ReadPpm(File.ReadAllBytes(f.FullName)))];
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>Keeps PNGs of the pages as test artefacts for people to look at.</summary>
    public static string SavePngs(byte[] pdf, string name)
    {
        var root = Environment.GetEnvironmentVariable("TRIALMANAGER_ARTIFACTS");
        var dir = Path.Combine(string.IsNullOrWhiteSpace(root) ? Path.Combine(Path.GetTempPath(), "trialmanager-artifacts") : root, "pdf-samples");
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, name + ".pdf"), pdf);
        Run("pdftoppm", pdf, $"-r 60 -png {{0}} {Path.Combine(dir, name)}");
        return dir;
    }

    private static string Run(string tool, byte[] pdf, string argumentFormat)
    {
        var file = Path.Combine(Path.GetTempPath(), $"tm-{Guid.NewGuid():N}.pdf");
        File.WriteAllBytes(file, pdf);
        try
        {
            var start = new ProcessStartInfo(tool, string.Format(CultureInfo.InvariantCulture, argumentFormat, file))
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                StandardOutputEncoding = Encoding.UTF8,
            };
            Process process;
            try
            {
                process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start.");
            }
            catch (Win32Exception e)
            {
                throw new InvalidOperationException(
                    $"{tool} is not installed. The PDF tests read documents back with poppler-utils: apt-get install poppler-utils.", e);
            }
            using (process)
            {
                var stderr = process.StandardError.ReadToEndAsync();
                var stdout = process.StandardOutput.ReadToEnd();
                process.WaitForExit();
                if (process.ExitCode != 0)
                {
                    throw new InvalidOperationException($"{tool} failed ({process.ExitCode}): {stderr.Result}");
                }
                return stdout;
            }
        }
        finally
        {
            File.Delete(file);
        }
    }
}

/// <summary>An RGB raster read from a binary PPM (P6), the format pdftoppm writes by default.</summary>
internal sealed class Raster(int width, int height, byte[] rgb)
{
    public int Width { get; } = width;

    public int Height { get; } = height;

    /// <summary>Darkest channel of a pixel: 255 is white, 0 is black or fully saturated.</summary>
    public int Ink(int x, int y)
    {
        var i = ((y * Width) + x) * 3;
        return Math.Min(rgb[i], Math.Min(rgb[i + 1], rgb[i + 2]));
    }

    public bool IsBlank(int x, int y) => Ink(x, y) >= 250;

    /// <summary>Pixels in the rectangle darker than near-white.</summary>
    public int InkedPixels(int x0, int y0, int x1, int y1)
    {
        var count = 0;
        for (var y = Math.Max(0, y0); y < Math.Min(Height, y1); y++)
        {
            for (var x = Math.Max(0, x0); x < Math.Min(Width, x1); x++)
            {
                if (!IsBlank(x, y))
                {
                    count++;
                }
            }
        }
        return count;
    }

    public static Raster ReadPpm(byte[] data)
    {
        var pos = 0;
        string Token()
        {
            while (pos < data.Length)
            {
                if (data[pos] == '#')
                {
                    while (pos < data.Length && data[pos] != '\n')
                    {
                        pos++;
                    }
                }
                else if (char.IsWhiteSpace((char)data[pos]))
                {
                    pos++;
                }
                else
                {
                    break;
                }
            }
            var start = pos;
            while (pos < data.Length && !char.IsWhiteSpace((char)data[pos]))
            {
                pos++;
            }
            return Encoding.ASCII.GetString(data, start, pos - start);
        }

        if (Token() != "P6")
        {
            throw new InvalidDataException("Not a binary PPM (P6).");
        }
        var width = int.Parse(Token(), CultureInfo.InvariantCulture);
        var height = int.Parse(Token(), CultureInfo.InvariantCulture);
        if (int.Parse(Token(), CultureInfo.InvariantCulture) != 255)
        {
            throw new InvalidDataException("Only 8-bit PPM is supported.");
        }
        pos++; // the single whitespace byte before the raster
        var rgb = data.AsSpan(pos, width * height * 3).ToArray();
        return new Raster(width, height, rgb);
    }
}
