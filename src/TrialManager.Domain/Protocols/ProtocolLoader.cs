using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace TrialManager.Domain.Protocols;

/// <summary>
/// Turns protocol YAML into a <see cref="Protocol"/>, or into the complete list of what is wrong with it. The
/// text is read through YamlDotNet's representation model and mapped by hand, so every error carries a line and
/// column and unknown keys are caught. A file with any error yields no protocol. Never throws on bad input.
/// </summary>
public static class ProtocolLoader
{
    /// <summary>Real protocols are tens of kilobytes; the cap bounds the work a hostile upload can cause.</summary>
    public const int MaximumLength = 1_000_000;

    public static ProtocolLoadResult Load(string yaml, string fileName) => Load(yaml, fileName, IsIanaTimeZone);

    /// <param name="timeZoneExists">Whether a time zone id is known; injectable so tests do not depend on the machine's time zone data.</param>
    public static ProtocolLoadResult Load(string yaml, string fileName, Func<string, bool> timeZoneExists)
    {
        var errors = new ErrorSink(fileName);
        if (yaml.Length > MaximumLength)
        {
            errors.Add(Mark.Empty, "", $"The file is {yaml.Length} characters long; protocols are limited to {MaximumLength}.");
            return ProtocolLoadResult.Rejected(errors.Errors);
        }

        var root = Parse(yaml, errors);
        var protocol = root is null ? null : new ProtocolMapper(errors, timeZoneExists).Map(root);
        return protocol is not null && errors.Count == 0
            ? ProtocolLoadResult.Loaded(protocol)
            : ProtocolLoadResult.Rejected(errors.Errors);
    }

    private static YamlNode? Parse(string yaml, ErrorSink errors)
    {
        var lastGood = new Mark(0, 1, 1);
        try
        {
            // Aliases are refused before building the tree: a few nested aliases can make a walk of the tree
            // exponentially long, and protocols have choice_sets for reuse instead.
            var parser = new Parser(new StringReader(yaml));
            while (parser.MoveNext())
            {
                lastGood = parser.Current!.End;
                if (parser.Current is AnchorAlias alias)
                {
                    errors.Add(alias.Start, "", $"YAML aliases (*{alias.Value}) are not supported; write the value out, or use choice_sets to share choices.");
                    return null;
                }
            }

            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            switch (stream.Documents.Count)
            {
                case 0:
                    errors.Add(new Mark(0, 1, 1), "", "The file is empty; a protocol starts with 'code:', 'title:' and the other keys described in protocols/README.md.");
                    return null;
                case > 1:
                    errors.Add(stream.Documents[1].RootNode.Start, "", "The file holds more than one YAML document ('---'); put each protocol in its own file.");
                    return null;
                default:
                    return stream.Documents[0].RootNode;
            }
        }
        catch (YamlException e)
        {
            errors.Add(e.Start, "", $"The YAML is malformed: {Describe(e)} Check indentation (spaces only), colons after keys, and matching quotes and brackets.");
            return null;
        }
        catch (Exception)
        {
            // YamlDotNet throws other exceptions on some broken input (e.g. InvalidOperationException for a flow
            // list left open); the last position it read cleanly is the best pointer to the problem.
            errors.Add(lastGood, "", "The YAML is malformed after this point: look for an unclosed bracket, brace or quote.");
            return null;
        }
    }

    /// <summary>YamlDotNet's messages start with the position, which the error already carries.</summary>
    private static string Describe(YamlException e)
    {
        var message = (e.InnerException as YamlException ?? e).Message;
        var cut = message.IndexOf("): ", StringComparison.Ordinal);
        var text = cut >= 0 ? message[(cut + 3)..] : message;
        return text.EndsWith('.') ? text : text + ".";
    }

    private static bool IsIanaTimeZone(string id) => TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) && zone.HasIanaId;
}
