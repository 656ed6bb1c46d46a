using Microsoft.AspNetCore.Components.Forms;
using TrialManager.Web.Authorization;

namespace TrialManager.Web.Components.Shared;

public static class FormErrors
{
    /// <summary>
    /// Puts an operation's messages beside the fields they belong to, and returns the form-level ones (field "") as one
    /// message for the top of the form.
    /// </summary>
    public static string? Show(OperationResult result, EditContext context, ValidationMessageStore store, object model)
    {
        string? formLevel = null;
        foreach (var (field, messages) in result.Errors)
        {
            if (field.Length == 0)
            {
                formLevel = string.Join(" ", messages);
            }
            else
            {
                store.Add(new FieldIdentifier(model, field), messages);
            }
        }

        context.NotifyValidationStateChanged();
        return formLevel;
    }
}
