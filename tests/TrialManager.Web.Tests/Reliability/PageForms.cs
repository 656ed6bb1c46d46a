using AngleSharp.Html.Dom;

namespace TrialManager.Web.Tests.Reliability;

/// <summary>A field of a form as the page rendered it: its name, input type, current value and offered choices.</summary>
public sealed record FormField(string Name, string Type, string Value, IReadOnlyList<string> Choices)
{
    public bool IsSecret => Type == "password";
}

/// <summary>
/// A form found on a page, read from its HTML, so a form added later is covered without anyone listing it: where it
/// posts, its handler name, its antiforgery token and its fields with the values a user would submit unchanged.
/// </summary>
public sealed record PageForm(string Page, string Action, string Method, string Handler, string Token, IReadOnlyList<FormField> Fields)
{
    public const string TokenField = "__RequestVerificationToken";
    public const string HandlerField = "_handler";

    public string Key => $"{Method} {Action.Split('?')[0]} {Handler}";

    public static IReadOnlyList<PageForm> Read(string pageUrl, IHtmlDocument document)
    {
        var forms = new List<PageForm>();
        foreach (var form in document.Forms)
        {
            var method = string.Equals(form.Method, "post", StringComparison.OrdinalIgnoreCase) ? "POST" : "GET";
            var action = form.GetAttribute("action") is { Length: > 0 } a ? a : pageUrl;
            var token = "";
            var handler = "";
            var fields = new List<FormField>();
            foreach (var element in form.Elements)
            {
                switch (element)
                {
                    case IHtmlInputElement input when !string.IsNullOrEmpty(input.Name) && input.Type is not ("submit" or "button" or "file" or "image" or "reset"):
                        if (input.Name == TokenField)
                        {
                            token = input.Value;
                        }
                        else if (input.Name == HandlerField)
                        {
                            handler = input.Value;
                        }
                        else if (input.Type is "radio" or "checkbox")
                        {
                            var existing = fields.FindIndex(f => f.Name == input.Name);
                            var value = input.IsChecked ? input.Value : "";
                            if (existing < 0)
                            {
                                fields.Add(new FormField(input.Name!, input.Type, value, [input.Value]));
                            }
                            else
                            {
                                var previous = fields[existing];
                                fields[existing] = previous with
                                {
                                    Value = previous.Value.Length > 0 ? previous.Value : value,
                                    Choices = [.. previous.Choices, input.Value],
                                };
                            }
                        }
                        else
                        {
                            fields.Add(new FormField(input.Name!, input.Type, input.Value, []));
                        }

                        break;
                    case IHtmlSelectElement select when !string.IsNullOrEmpty(select.Name):
                        fields.Add(new FormField(select.Name!, "select", (select.SelectedOptions.Length > 0 ? select.SelectedOptions[0].Value : ""), [.. select.Options.Select(o => o.Value)]));
                        break;
                    case IHtmlTextAreaElement area when !string.IsNullOrEmpty(area.Name):
                        fields.Add(new FormField(area.Name!, "textarea", area.Value, []));
                        break;
                }
            }

            forms.Add(new PageForm(pageUrl, action, method, handler, token, fields));
        }

        return forms;
    }

    /// <summary>The body a user submitting the form unchanged would send, with some fields replaced (already encoded).</summary>
    public string Body(IReadOnlyDictionary<string, string>? replaced = null, bool withFields = true, bool duplicated = false)
    {
        var parts = new List<string>();
        if (Token.Length > 0)
        {
            parts.Add($"{TokenField}={Uri.EscapeDataString(Token)}");
        }

        if (Handler.Length > 0)
        {
            parts.Add($"{HandlerField}={Uri.EscapeDataString(Handler)}");
        }

        if (withFields)
        {
            foreach (var field in Fields)
            {
                var value = replaced is not null && replaced.TryGetValue(field.Name, out var hostile) ? hostile
                    : field.Type is "checkbox" or "radio" && field.Value.Length == 0 ? null
                    : Uri.EscapeDataString(field.Value);
                if (value is null)
                {
                    continue;
                }

                parts.Add($"{Uri.EscapeDataString(field.Name)}={value}");
                if (duplicated)
                {
                    parts.Add($"{Uri.EscapeDataString(field.Name)}={Uri.EscapeDataString(HostileValues.ScriptMarker)}");
                }
            }
        }

        return string.Join('&', parts);
    }
}
