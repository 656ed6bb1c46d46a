using System.Xml;
using System.Xml.Schema;

namespace TrialManager.Web.Tests.Exports;

/// <summary>
/// The official CDISC ODM 1.3.2 schema, vendored unchanged in Exports/Odm132 (MIT, see its LICENSE), loaded once. Its
/// imports (xml.xsd, xmldsig-core-schema.xsd) are resolved from that folder only: validation never touches the network.
/// </summary>
public static class OdmSchema
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Exports", "Odm132");

    private static readonly Lazy<XmlSchemaSet> Schemas = new(Load);

    private static readonly Lock Gate = new();

    /// <summary>Every schema error and warning, as "line:position severity: message"; empty when the document is valid.</summary>
    public static IReadOnlyList<string> Validate(byte[] xml)
    {
        var problems = new List<string>();
        var settings = new XmlReaderSettings
        {
            ValidationType = ValidationType.Schema,
            Schemas = Schemas.Value,
            ValidationFlags = XmlSchemaValidationFlags.ReportValidationWarnings | XmlSchemaValidationFlags.ProcessIdentityConstraints,
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
        };
        settings.ValidationEventHandler += (_, e) => problems.Add($"{e.Exception.LineNumber}:{e.Exception.LinePosition} {e.Severity}: {e.Message}");

        // One validation at a time: a compiled schema set is shared, and nothing documents it as safe for concurrent readers.
        lock (Gate)
        {
            try
            {
                using var reader = XmlReader.Create(new MemoryStream(xml), settings);
                while (reader.Read())
                {
                }
            }
            catch (XmlException e)
            {
                problems.Add($"{e.LineNumber}:{e.LinePosition} not well-formed: {e.Message}");
            }
        }

        return problems;
    }

    private static XmlSchemaSet Load()
    {
        var resolver = new FolderResolver(Folder);
        var schemas = new XmlSchemaSet { XmlResolver = resolver };
        var errors = new List<string>();
        schemas.ValidationEventHandler += (_, e) => errors.Add($"{e.Severity}: {e.Message}");
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = resolver };
        using (var reader = XmlReader.Create(Path.Combine(Folder, "ODM1-3-2.xsd"), settings))
        {
            schemas.Add(null, reader);
        }

        schemas.Compile();
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("The vendored ODM schema did not load: " + string.Join("; ", errors));
        }

        return schemas;
    }

    /// <summary>Opens any schema location by its file name in the vendored folder; anything not there is refused.</summary>
    private sealed class FolderResolver(string folder) : XmlResolver
    {
        public override object? GetEntity(Uri absoluteUri, string? role, Type? ofObjectToReturn)
        {
            var path = Path.Combine(folder, Path.GetFileName(absoluteUri.AbsolutePath));
            if (!File.Exists(path))
            {
                throw new XmlException($"{absoluteUri} is not in the vendored schema folder {folder}.");
            }

            return File.OpenRead(path);
        }
    }
}
