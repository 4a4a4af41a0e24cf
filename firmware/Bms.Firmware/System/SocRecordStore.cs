using Bms.Firmware.Storage;
using Bms.Hal;

namespace Bms.Firmware.Composition
{
    /// <summary>
    /// Persists the pack state of charge in two alternating 16-byte copies (magic, sequence, SoC, CRC-32), so a
    /// write torn by power loss leaves the other copy intact. Reading picks the valid copy with the newer sequence.
    /// Uses <see cref="Size"/> bytes from its base address. Buffers allocated once.
    /// </summary>
    public sealed class SocRecordStore
    {
        /// <summary>Bytes used in storage.</summary>
        public const int Size = 32;
        private const int CopySize = 16;
        private const uint Magic = 0x31434F53; // "SOC1"

        private readonly INonVolatileStorage _storage;
        private readonly int _baseAddress;
        private readonly byte[] _buffer = new byte[CopySize];
        private uint _sequence;

        /// <summary>Creates the store on <paramref name="storage"/> at <paramref name="baseAddress"/>.</summary>
        public SocRecordStore(INonVolatileStorage storage, int baseAddress)
        {
            if (storage == null)
            {
                throw new System.ArgumentNullException("storage");
            }
            if (baseAddress < 0 || baseAddress + Size > storage.Size)
            {
                throw new System.ArgumentOutOfRangeException("baseAddress");
            }
            _storage = storage;
            _baseAddress = baseAddress;
            // Builds the CRC table now: its lazy initialisation would otherwise allocate in the first save's tick.
            Crc32.Compute(_buffer, 0, 1);
        }

        /// <summary>Writes that failed.</summary>
        public int WriteFailures { get; private set; }

        /// <summary>Reads the newest valid record; false when neither copy verifies.</summary>
        public bool TryLoad(out int soc_pcm)
        {
            soc_pcm = -1;
            bool found = false;
            uint bestSequence = 0;
            for (int copy = 0; copy < 2; copy++)
            {
                if (!_storage.Read(_baseAddress + copy * CopySize, _buffer, 0, CopySize))
                {
                    continue;
                }
                if (ReadU32(0) != Magic || ReadU32(12) != Crc32.Compute(_buffer, 0, 12))
                {
                    continue;
                }
                uint sequence = ReadU32(4);
                int soc = (int)ReadU32(8);
                if (soc < 0 || soc > 100000)
                {
                    continue;
                }
                if (!found || (int)(sequence - bestSequence) > 0)
                {
                    found = true;
                    bestSequence = sequence;
                    soc_pcm = soc;
                }
            }
            if (found)
            {
                _sequence = bestSequence;
            }
            return found;
        }

        /// <summary>Writes a new record into the older copy. false when the write failed.</summary>
        public bool Save(int soc_pcm)
        {
            _sequence++;
            WriteU32(0, Magic);
            WriteU32(4, _sequence);
            WriteU32(8, (uint)soc_pcm);
            WriteU32(12, Crc32.Compute(_buffer, 0, 12));
            int copy = (int)(_sequence & 1);
            bool ok = _storage.Write(_baseAddress + copy * CopySize, _buffer, 0, CopySize);
            if (!ok)
            {
                WriteFailures++;
            }
            return ok;
        }

        private uint ReadU32(int offset)
        {
            return (uint)(_buffer[offset] | (_buffer[offset + 1] << 8) | (_buffer[offset + 2] << 16) | (_buffer[offset + 3] << 24));
        }

        private void WriteU32(int offset, uint value)
        {
            _buffer[offset] = (byte)value;
            _buffer[offset + 1] = (byte)(value >> 8);
            _buffer[offset + 2] = (byte)(value >> 16);
            _buffer[offset + 3] = (byte)(value >> 24);
        }
    }
}
