using Bms.Firmware.Events;

namespace Bms.Firmware.Storage
{
    /// <summary>
    /// One fault-log entry: the event and a snapshot of the key measurements when it happened. Stored as a
    /// fixed <see cref="Size"/>-byte little-endian record ending in a CRC-32 over everything before it.
    /// A reader fills a caller-owned instance, so reading allocates nothing.
    /// </summary>
    public sealed class FaultRecord
    {
        /// <summary>Bytes per stored record.</summary>
        public const int Size = 40;

        /// <summary>First byte of every record (an erased or zeroed slot never starts with it).</summary>
        public const byte Magic = 0xB5;

        /// <summary>Layout version in byte 1.</summary>
        public const byte FormatVersion = 1;

        private const int CrcOffset = Size - 4;
        private const byte FlagActive = 0x01;
        private const byte FlagCells = 0x02;
        private const byte FlagTemperature = 0x04;
        private const byte FlagCurrent = 0x08;
        private const byte FlagSoc = 0x10;

        /// <summary>Write order, 1 for the first record ever written; never reused.</summary>
        public uint Sequence;
        /// <summary>Monotonic clock time of the event.</summary>
        public long Time_ms;
        /// <summary>What happened.</summary>
        public BmsEventCode Code;
        /// <summary>Severity.</summary>
        public ProtectionLevel Level;
        /// <summary>true = raised, false = cleared.</summary>
        public bool Active;
        /// <summary>Cell (or sensor for temperature codes) index, -1 when not about one cell.</summary>
        public int Cell;

        /// <summary>true when at least one cell voltage was valid.</summary>
        public bool CellsValid;
        /// <summary>Lowest valid cell voltage.</summary>
        public int MinCell_mV;
        /// <summary>Index of the lowest cell.</summary>
        public int MinCellIndex;
        /// <summary>Highest valid cell voltage.</summary>
        public int MaxCell_mV;
        /// <summary>Index of the highest cell.</summary>
        public int MaxCellIndex;
        /// <summary>true when at least one temperature was valid.</summary>
        public bool TemperatureValid;
        /// <summary>Highest valid temperature.</summary>
        public int MaxTemperature_dC;
        /// <summary>Index of the hottest sensor.</summary>
        public int MaxTemperatureSensor;
        /// <summary>true when the current was valid.</summary>
        public bool CurrentValid;
        /// <summary>Pack current, positive = charging.</summary>
        public int Current_mA;
        /// <summary>true when a state of charge was known.</summary>
        public bool SocValid;
        /// <summary>State of charge.</summary>
        public int Soc_pcm;

        /// <summary>Copies every field from <paramref name="other"/>.</summary>
        public void CopyFrom(FaultRecord other)
        {
            Sequence = other.Sequence;
            Time_ms = other.Time_ms;
            Code = other.Code;
            Level = other.Level;
            Active = other.Active;
            Cell = other.Cell;
            CellsValid = other.CellsValid;
            MinCell_mV = other.MinCell_mV;
            MinCellIndex = other.MinCellIndex;
            MaxCell_mV = other.MaxCell_mV;
            MaxCellIndex = other.MaxCellIndex;
            TemperatureValid = other.TemperatureValid;
            MaxTemperature_dC = other.MaxTemperature_dC;
            MaxTemperatureSensor = other.MaxTemperatureSensor;
            CurrentValid = other.CurrentValid;
            Current_mA = other.Current_mA;
            SocValid = other.SocValid;
            Soc_pcm = other.Soc_pcm;
        }

        /// <summary>Encodes into <see cref="Size"/> bytes at <paramref name="offset"/>, CRC included.</summary>
        public void WriteTo(byte[] buffer, int offset)
        {
            buffer[offset] = Magic;
            buffer[offset + 1] = FormatVersion;
            PutUInt32(buffer, offset + 2, Sequence);
            PutUInt32(buffer, offset + 6, (uint)Time_ms);
            PutUInt32(buffer, offset + 10, (uint)(Time_ms >> 32));
            buffer[offset + 14] = (byte)Code;
            buffer[offset + 15] = (byte)Level;
            byte flags = 0;
            if (Active) { flags |= FlagActive; }
            if (CellsValid) { flags |= FlagCells; }
            if (TemperatureValid) { flags |= FlagTemperature; }
            if (CurrentValid) { flags |= FlagCurrent; }
            if (SocValid) { flags |= FlagSoc; }
            buffer[offset + 16] = flags;
            buffer[offset + 17] = (byte)MinCellIndex;
            PutInt16(buffer, offset + 18, Cell);
            PutInt16(buffer, offset + 20, MinCell_mV);
            PutInt16(buffer, offset + 22, MaxCell_mV);
            buffer[offset + 24] = (byte)MaxCellIndex;
            buffer[offset + 25] = (byte)MaxTemperatureSensor;
            PutInt16(buffer, offset + 26, MaxTemperature_dC);
            PutUInt32(buffer, offset + 28, (uint)Current_mA);
            PutUInt32(buffer, offset + 32, (uint)Soc_pcm);
            PutUInt32(buffer, offset + CrcOffset, Crc32.Compute(buffer, offset, CrcOffset));
        }

        /// <summary>
        /// Decodes <see cref="Size"/> bytes at <paramref name="offset"/>. Returns false (fields untouched) unless
        /// the magic, version and CRC all match.
        /// </summary>
        public bool TryReadFrom(byte[] buffer, int offset)
        {
            if (buffer[offset] != Magic || buffer[offset + 1] != FormatVersion)
            {
                return false;
            }
            if (GetUInt32(buffer, offset + CrcOffset) != Crc32.Compute(buffer, offset, CrcOffset))
            {
                return false;
            }
            Sequence = GetUInt32(buffer, offset + 2);
            Time_ms = (long)(((ulong)GetUInt32(buffer, offset + 10) << 32) | GetUInt32(buffer, offset + 6));
            Code = (BmsEventCode)buffer[offset + 14];
            Level = (ProtectionLevel)buffer[offset + 15];
            byte flags = buffer[offset + 16];
            Active = (flags & FlagActive) != 0;
            CellsValid = (flags & FlagCells) != 0;
            TemperatureValid = (flags & FlagTemperature) != 0;
            CurrentValid = (flags & FlagCurrent) != 0;
            SocValid = (flags & FlagSoc) != 0;
            MinCellIndex = buffer[offset + 17];
            Cell = GetInt16(buffer, offset + 18);
            MinCell_mV = GetInt16(buffer, offset + 20);
            MaxCell_mV = GetInt16(buffer, offset + 22);
            MaxCellIndex = buffer[offset + 24];
            MaxTemperatureSensor = buffer[offset + 25];
            MaxTemperature_dC = GetInt16(buffer, offset + 26);
            Current_mA = (int)GetUInt32(buffer, offset + 28);
            Soc_pcm = (int)GetUInt32(buffer, offset + 32);
            return true;
        }

        private static void PutUInt32(byte[] b, int o, uint v)
        {
            b[o] = (byte)v;
            b[o + 1] = (byte)(v >> 8);
            b[o + 2] = (byte)(v >> 16);
            b[o + 3] = (byte)(v >> 24);
        }

        private static uint GetUInt32(byte[] b, int o)
        {
            return (uint)(b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24));
        }

        private static void PutInt16(byte[] b, int o, int v)
        {
            // Saturate rather than wrap: a clipped value is still on the right side of every limit.
            if (v > short.MaxValue) { v = short.MaxValue; }
            if (v < short.MinValue) { v = short.MinValue; }
            b[o] = (byte)v;
            b[o + 1] = (byte)(v >> 8);
        }

        private static int GetInt16(byte[] b, int o)
        {
            return (short)(b[o] | (b[o + 1] << 8));
        }
    }
}
