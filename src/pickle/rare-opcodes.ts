/**
 * The opcodes ZODB and ZEO never write but old or foreign pickles may
 * contain: protocol 0/1 text forms (`INT`, `STRING`, `GET`, `DICT`,
 * `INST`…), stack manipulation (`POP`, `DUP`), protocol 4/5 additions
 * (sets, 8-byte lengths), and the unsupported ones (`EXT*`, out-of-band
 * buffers).
 */
import { PICKLE_ERROR_CODES } from './errors.js';
import { OP } from './opcodes.js';
import { parseFloatText, parseIntText, parseQuotedBytes, parseRawUnicodeEscape } from './text-literals.js';
import type { UnpicklerMachine } from './unpickler-machine.js';
import { Tuple, tuple } from './values.js';

/** @internal Runs protocol 0/1 text opcodes and rarely used ones, kept out of the hot switch. */
export function runRareOpcode(m: UnpicklerMachine, op: number, stack: unknown[]): void {
  switch (op) {
    case OP.SHORT_BINUNICODE:
      stack.push(m.utf8(m.uint8()));
      return;
    case OP.BINUNICODE8:
      stack.push(m.utf8(m.length(m.uint64())));
      return;
    case OP.BINBYTES8:
      stack.push(m.bytes(m.length(m.uint64())));
      return;
    case OP.SHORT_BINSTRING:
      stack.push(m.py2String(m.bytes(m.uint8())));
      return;
    case OP.BINSTRING:
      stack.push(m.py2String(m.bytes(m.length(m.int32()))));
      return;
    case OP.STRING: {
      const line = m.line();
      stack.push(m.py2String(m.parse(() => parseQuotedBytes(line))));
      return;
    }
    case OP.UNICODE: {
      const line = m.line();
      stack.push(m.parse(() => parseRawUnicodeEscape(line)));
      return;
    }
    case OP.INT: {
      const text = m.lineAscii();
      if (text === '00') stack.push(false);
      else if (text === '01') stack.push(true);
      else stack.push(m.parse(() => parseIntText(text)));
      return;
    }
    case OP.LONG: {
      const text = m.lineAscii();
      stack.push(m.parse(() => parseIntText(text.endsWith('L') ? text.slice(0, -1) : text)));
      return;
    }
    case OP.FLOAT: {
      const text = m.lineAscii();
      stack.push(m.float(m.parse(() => parseFloatText(text))));
      return;
    }
    case OP.GET:
    case OP.PUT: {
      const text = m.lineAscii();
      const index = m.parse(() => parseIntText(text));
      if (typeof index !== 'number' || index < 0) throw m.fail(PICKLE_ERROR_CODES.badValue, `bad memo index ${text}`);
      if (op === OP.PUT) m.put(index);
      else stack.push(m.get(index));
      return;
    }
    case OP.POP: {
      const marks = m.marks;
      if (marks.length > 0 && marks[marks.length - 1] === stack.length) marks.pop();
      else m.pop();
      return;
    }
    case OP.POP_MARK:
      stack.length = m.popMark();
      return;
    case OP.DUP:
      stack.push(m.top());
      return;
    case OP.LIST: {
      const from = m.popMark();
      const items = stack.slice(from);
      stack.length = from;
      stack.push(items);
      return;
    }
    case OP.DICT: {
      const from = m.popMark();
      if ((stack.length - from) % 2 !== 0) throw m.fail(PICKLE_ERROR_CODES.badValue, 'odd number of items after MARK');
      const items = stack.slice(from);
      stack.length = from;
      stack.push(m.autoDicts ? {} : new Map());
      m.setItems(stack.length - 1, items, 0, items.length);
      return;
    }
    case OP.INST: {
      const module = m.lineText();
      const name = m.lineText();
      const from = m.popMark();
      const args = Tuple.adopt(stack.slice(from));
      stack.length = from;
      const cls = m.global(module, name, m.proto < 3);
      stack.push(m.construct(args.length > 0 ? 'reduce' : 'newobj', cls, args));
      return;
    }
    case OP.OBJ: {
      const from = m.popMark();
      if (from >= stack.length) throw m.fail(PICKLE_ERROR_CODES.stackUnderflow, 'OBJ needs a class after MARK');
      const cls = stack[from];
      const args = Tuple.adopt(stack.slice(from + 1));
      stack.length = from;
      stack.push(m.construct(args.length > 0 ? 'reduce' : 'newobj', cls, args));
      return;
    }
    case OP.EMPTY_SET:
      stack.push(m.construct('reduce', m.global('builtins', 'set', false), tuple([])));
      return;
    case OP.FROZENSET: {
      const from = m.popMark();
      const items = stack.slice(from);
      stack.length = from;
      stack.push(m.construct('reduce', m.global('builtins', 'frozenset', false), tuple(items)));
      return;
    }
    case OP.ADDITEMS: {
      const from = m.popMark();
      m.addToSet(stack[m.indexBelow(from)], stack.slice(from));
      stack.length = from;
      return;
    }
    case OP.BYTEARRAY8: {
      const bytes = Buffer.from(m.bytes(m.length(m.uint64())));
      stack.push(m.construct('reduce', m.global('builtins', 'bytearray', false), tuple(bytes)));
      return;
    }
    case OP.EXT1:
    case OP.EXT2:
    case OP.EXT4:
      throw m.fail(PICKLE_ERROR_CODES.unsupported, 'the copyreg extension registry is not supported');
    case OP.NEXT_BUFFER:
    case OP.READONLY_BUFFER:
      throw m.fail(PICKLE_ERROR_CODES.unsupported, 'out-of-band buffers are not supported');
    default:
      throw m.fail(PICKLE_ERROR_CODES.unknownOpcode, `unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
  }
}
