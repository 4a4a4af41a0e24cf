using Bms.Firmware.Composition;
using Bms.Firmware.Contactors;
using Bms.Firmware.Events;
using Bms.Firmware.Measurement;

namespace Bms.Firmware.Telemetry
{
    /// <summary>
    /// Formats the once-a-second telemetry line of the device application into a buffer allocated once, so
    /// printing telemetry allocates nothing (no strings, no boxing). Conversion to display units happens here,
    /// at the edge; the guard loop keeps its integers. One line, key=value pairs separated by spaces:
    /// <code>
    /// bms t_ms=12000 soc_pct=87.512 cell_min_mV=3650 cell_max_mV=3712 temp_max_C=25.3 current_mA=-2990 contactors=Closed charge_limit_mA=5000 discharge_limit_mA=15000 level=none
    /// </code>
    /// A value that is not valid this tick prints as <c>-</c>.
    /// </summary>
    public sealed class TelemetryFormatter
    {
        /// <summary>Longest line (with its newline).</summary>
        public const int MaxLineBytes = 224;

        private readonly byte[] _line = new byte[MaxLineBytes];
        private int _at;

        /// <summary>The line written by the last <see cref="Format(long, BmsSystem)"/> (ASCII, ends with '\n').</summary>
        public byte[] Buffer { get { return _line; } }

        /// <summary>Formats the state of <paramref name="system"/> at <paramref name="time_ms"/>; returns the line length.</summary>
        public int Format(long time_ms, BmsSystem system)
        {
            return Format(time_ms, system.PackSoc_pcm, system.Snapshot, system.Contactors, system.ChargeLimit_mA,
                system.DischargeLimit_mA, system.HighestActiveLevel);
        }

        /// <summary>Formats one line from its parts; returns the line length.</summary>
        public int Format(long time_ms, int soc_pcm, MeasurementSnapshot snapshot, ContactorState contactors,
            int chargeLimit_mA, int dischargeLimit_mA, ProtectionLevel level)
        {
            _at = 0;
            Text("bms t_ms=");
            Integer(time_ms);
            Text(" soc_pct=");
            Fixed(soc_pcm, 3);

            bool anyCell = false;
            int min_mV = 0, max_mV = 0;
            for (int i = 0; i < snapshot.CellCount; i++)
            {
                if (!snapshot.CellValid[i]) continue;
                int v = snapshot.CellVoltage_mV[i];
                if (!anyCell || v < min_mV) min_mV = v;
                if (!anyCell || v > max_mV) max_mV = v;
                anyCell = true;
            }
            Text(" cell_min_mV=");
            OptionalInteger(anyCell, min_mV);
            Text(" cell_max_mV=");
            OptionalInteger(anyCell, max_mV);

            bool anyTemperature = false;
            int maxT_dC = 0;
            for (int i = 0; i < snapshot.TemperatureCount; i++)
            {
                if (!snapshot.TemperatureValid[i]) continue;
                if (!anyTemperature || snapshot.Temperature_dC[i] > maxT_dC) maxT_dC = snapshot.Temperature_dC[i];
                anyTemperature = true;
            }
            Text(" temp_max_C=");
            if (anyTemperature) Fixed(maxT_dC, 1); else Text("-");
            Text(" current_mA=");
            OptionalInteger(snapshot.CurrentValid, snapshot.Current_mA);
            Text(" contactors=");
            Text(ContactorName(contactors));
            Text(" charge_limit_mA=");
            Integer(chargeLimit_mA);
            Text(" discharge_limit_mA=");
            Integer(dischargeLimit_mA);
            Text(" level=");
            Text(LevelName(level));
            _line[_at++] = (byte)'\n';
            return _at;
        }

        /// <summary>The contactor state as printed (the enum member's name).</summary>
        public static string ContactorName(ContactorState state)
        {
            switch (state)
            {
                case ContactorState.Open: return "Open";
                case ContactorState.Precharging: return "Precharging";
                case ContactorState.Closed: return "Closed";
                case ContactorState.Opening: return "Opening";
                case ContactorState.Fault: return "Fault";
                default: return "Unknown";
            }
        }

        /// <summary>The protection level as printed (as in the replay's CSV and JSON).</summary>
        public static string LevelName(ProtectionLevel level)
        {
            switch (level)
            {
                case ProtectionLevel.Warning: return "warning";
                case ProtectionLevel.Alarm: return "alarm";
                case ProtectionLevel.Fault: return "fault";
                default: return "none";
            }
        }

        private void Text(string text)
        {
            for (int i = 0; i < text.Length && _at < MaxLineBytes - 1; i++)
            {
                _line[_at++] = (byte)text[i];
            }
        }

        private void OptionalInteger(bool valid, long value)
        {
            if (valid) Integer(value); else Text("-");
        }

        private void Integer(long value)
        {
            if (value < 0)
            {
                Put('-');
                value = -value;
            }
            long divisor = 1;
            while (value / divisor >= 10) divisor *= 10;
            for (; divisor > 0; divisor /= 10)
            {
                Put((char)('0' + (int)(value / divisor % 10)));
            }
        }

        /// <summary>value / 10^decimals with exactly <paramref name="decimals"/> digits after the point.</summary>
        private void Fixed(long value, int decimals)
        {
            if (value < 0)
            {
                Put('-');
                value = -value;
            }
            long scale = 1;
            for (int i = 0; i < decimals; i++) scale *= 10;
            Integer(value / scale);
            Put('.');
            long fraction = value % scale;
            for (long d = scale / 10; d > 0; d /= 10)
            {
                Put((char)('0' + (int)(fraction / d % 10)));
            }
        }

        private void Put(char c)
        {
            if (_at < MaxLineBytes - 1) _line[_at++] = (byte)c;
        }
    }
}
